/*
 * control.c - the node's local socket: listen, accept, read, check,
 * dispatch to one handler per request type, reply, and clean up after a
 * client that goes away.
 *
 * Every packet passes rsm_msg_check() before any field is read; a refused
 * packet is logged, counted and costs the sender its connection.  Every
 * request gets exactly one reply (a list gets a stream whose last message
 * lacks RSM_MSGF_MORE).  Sends never block: what the socket will not take
 * now waits in the client's bounded output queue, and while a client has
 * output queued its requests are not read, so a client that does not read
 * its replies only slows itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "log.h"
#include "peer.h"
#include "remote.h"
#include "vserv.h"

/* Requests read from one client per loop round, for fairness. */
#define CLIENT_BURST		64
/* Queued messages a client may fall behind by, beyond one full list. */
#define OUTQ_SLACK		1024
#define CLIENT_EVENTS		(EPOLLIN | EPOLLRDHUP)

struct outmsg {
	TAILQ_ENTRY(outmsg) link;
	int		 fd;		/* our own dup, closed once sent */
	size_t		 plen;
	struct rsm_msg_hdr hdr;
	unsigned char	 payload[];
};

/* One request being served; the handler fills the reply part. */
struct req {
	struct rsmd		*rs;
	struct client		*c;
	const struct rsm_msg_hdr *h;
	const void		*p;
	size_t			 plen;
	int			 fd;		/* received; set to -1 if kept */
	union {
		struct rsm_msg_hello_reply	hello;
		struct rsm_msg_ctlr_reply	ctlr;
		struct rsm_msg_handle		handle;
		struct rsm_msg_publish_reply	publish;
		struct rsm_msg_connect_reply	connect;
		struct rsm_msg_topology		topo;
		struct rsm_msg_status		status;
		struct rsm_msg_seginfo		seginfo;
		struct rsm_msg_nodeinfo		nodeinfo;
	} out;
	size_t			 outlen;
	int			 outfd;
	int			 outfd_owned;	/* close outfd once sent */
};

typedef int (*handler_fn)(struct req *);

static void client_kill(struct rsmd *, struct client *, const char *);

static void send_more(struct req *, const void *, size_t);

/* Serials of clients, so a deferred reply never reaches a successor. */
static uint64_t client_serial;

/* ---- the listening socket ---- */

static int
mkdir_parents(const char *path)
{
	char buf[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *s;

	if (strlen(path) >= sizeof(buf))
		return -1;
	strcpy(buf, path);
	if ((s = strrchr(buf, '/')) == NULL || s == buf)
		return 0;
	*s = '\0';
	for (s = buf + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(buf, 0755) == -1 && errno != EEXIST)
				return -1;
			if (c == '\0')
				break;
			*s = c;
		}
	}
	return 0;
}

/*
 * A socket file left by a daemon that died is removed; one that another
 * rsmd still answers on means this one must not start.
 */
static int
check_stale(const char *path)
{
	struct sockaddr_un sun;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_errx("%s exists and is not a socket; not removing it",
		    path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	if (rc == 0) {
		log_errx("another rsmd is listening on %s", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		log_warn("cannot tell whether %s is in use", path);
		return -1;
	}
	log_info("removing stale socket %s", path);
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unlink %s", path);
		return -1;
	}
	return 0;
}

int
control_listen(struct rsmd *rs)
{
	const char *path = rs->socket_path;
	struct sockaddr_un sun;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_errx("socket path %s is too long", path);
		return -1;
	}
	if (mkdir_parents(path) == -1) {
		log_warn("cannot create the directory of %s", path);
		return -1;
	}
	if (check_stale(path) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("socket");
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("bind %s", path);
		close(fd);
		return -1;
	}
	rs->listen_fd = fd;
	control_chmod(rs);
	if (listen(fd, SOMAXCONN) == -1) {
		log_warn("listen %s", path);
		control_close(rs);
		return -1;
	}
	return 0;
}

void
control_chmod(struct rsmd *rs)
{
	if (chmod(rs->socket_path, rs->conf.socket_mode) == -1)
		log_warn("chmod %s", rs->socket_path);
}

void
control_close(struct rsmd *rs)
{
	if (rs->listen_fd < 0)
		return;
	close(rs->listen_fd);
	rs->listen_fd = -1;
	if (unlink(rs->socket_path) == -1 && errno != ENOENT)
		log_warn("unlink %s", rs->socket_path);
}

/* ---- clients ---- */

/* Supplementary groups from /proc/PID/status; the primary gid is kept too. */
static void
read_groups(struct client *c)
{
	char path[64], line[4096];
	gid_t *g = NULL;
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)c->owner.pid);
	if ((fp = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		char *s, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (s = line + 7; ; s = end) {
			unsigned long v;
			gid_t *ng;

			while (*s == ' ' || *s == '\t')
				s++;
			if (*s < '0' || *s > '9')
				break;
			v = strtoul(s, &end, 10);
			if ((ng = realloc(g, (n + 1) * sizeof(*g))) == NULL)
				break;
			g = ng;
			g[n++] = (gid_t)v;
		}
		break;
	}
	fclose(fp);
	c->owner.groups = g;
	c->owner.ngroups = n;
}

/* The loop's callback for a client's socket. */
static void
client_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct client *c = (struct client *)(void *)((char *)io -
	    offsetof(struct client, io));

	control_client_event(rs, c, events);
}

void
control_accept(struct rsmd *rs)
{
	struct ucred cred;
	socklen_t len;
	struct client *c;
	int fd, i;

	for (i = 0; i < CLIENT_BURST; i++) {
		fd = accept4(rs->listen_fd, NULL, NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				return;
			log_warn("accept");
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Level-triggered: stop listening a while. */
				rsmd_io_mod(rs, &rs->listen_io, 0);
				rs->accept_paused = 1;
			}
			return;
		}
		len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
			log_warn("SO_PEERCRED");
			close(fd);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			log_warn("client");
			close(fd);
			continue;
		}
		reg_owner_init(&c->owner, cred.uid, cred.gid, cred.pid);
		read_groups(c);
		c->fd = fd;
		c->io.fd = fd;
		c->io.ready = client_ready;
		TAILQ_INIT(&c->outq);
		c->events = CLIENT_EVENTS;
		c->serial = ++client_serial;
		if (rsmd_io_add(rs, &c->io, c->events) == -1) {
			log_warn("epoll_ctl");
			free(c->owner.groups);
			free(c);
			close(fd);
			continue;
		}
		TAILQ_INSERT_TAIL(&rs->clients, c, link);
		rs->nclients++;
		log_debug("client pid %d uid %u gid %u connected",
		    (int)cred.pid, (unsigned)cred.uid, (unsigned)cred.gid);
	}
}

static void
client_set_events(struct rsmd *rs, struct client *c, uint32_t events)
{
	if (c->events == events)
		return;
	if (rsmd_io_mod(rs, &c->io, events) == -1) {
		log_warn("epoll_ctl client pid %d", (int)c->owner.pid);
		client_kill(rs, c, NULL);
		return;
	}
	c->events = events;
}

static void
client_kill(struct rsmd *rs, struct client *c, const char *why)
{
	if (c->dead)
		return;
	if (why != NULL)
		log_info("client pid %d uid %u: %s", (int)c->owner.pid,
		    (unsigned)c->owner.uid, why);
	c->dead = 1;
	rsmd_io_del(rs, &c->io);
	TAILQ_REMOVE(&rs->clients, c, link);
	TAILQ_INSERT_TAIL(&rs->closing, c, link);
}

static size_t
outq_bound(const struct rsmd *rs)
{
	return OUTQ_SLACK + (size_t)rs->conf.max_segments + 2;
}

void
client_send(struct rsmd *rs, struct client *c, const struct rsm_msg_hdr *h,
    const void *payload, size_t len, int fd)
{
	struct outmsg *m;

	if (c->dead)
		return;
	if (TAILQ_EMPTY(&c->outq)) {
		if (rsm_msg_send(c->fd, h, payload, len, fd) == 0)
			return;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			client_kill(rs, c, errno == EPIPE ||
			    errno == ECONNRESET ? "gone" : "send failed");
			return;
		}
	}
	if (c->outq_len >= outq_bound(rs)) {
		client_kill(rs, c, "not reading: output queue full");
		return;
	}
	if ((m = malloc(sizeof(*m) + len)) == NULL) {
		client_kill(rs, c, "out of memory for its output queue");
		return;
	}
	m->fd = -1;
	if (fd >= 0 && (m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		log_warn("dup");
		free(m);
		client_kill(rs, c, "cannot queue a descriptor");
		return;
	}
	m->hdr = *h;
	m->plen = len;
	if (len)
		memcpy(m->payload, payload, len);
	TAILQ_INSERT_TAIL(&c->outq, m, link);
	c->outq_len++;
	/* Stop reading its requests until it has read our replies. */
	client_set_events(rs, c, EPOLLOUT | EPOLLRDHUP);
}

static void
outmsg_free(struct outmsg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}

static void
client_flush(struct rsmd *rs, struct client *c)
{
	struct outmsg *m;

	while (!c->dead && (m = TAILQ_FIRST(&c->outq)) != NULL) {
		if (rsm_msg_send(c->fd, &m->hdr, m->payload, m->plen,
		    m->fd) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			client_kill(rs, c, "gone");
			return;
		}
		TAILQ_REMOVE(&c->outq, m, link);
		c->outq_len--;
		outmsg_free(m);
	}
	if (!c->dead)
		client_set_events(rs, c, CLIENT_EVENTS);
}

/* ---- segments' memory ---- */

static void
segment_release_memory(struct reg_segment *s)
{
	if (s->map != NULL && s->map != MAP_FAILED)
		munmap(s->map, s->size);
	if (s->fd >= 0)
		close(s->fd);
	/* The read-only reopen names this memory: the next one is new. */
	if (s->ro_fd >= 0)
		close(s->ro_fd);
	s->map = NULL;
	s->fd = -1;
	s->ro_fd = -1;
}

/* Importers hear REVOKED before the exporter hears its reply. */
static void
segment_destroy(struct rsmd *rs, struct reg_segment *s)
{
	notify_revoke_all(rs, s, RSMERR_CONN_ABORTED);
	if (s->published)
		reg_unpublish(&rs->reg, s);
	segment_release_memory(s);
	reg_export_remove(&rs->reg, s);
}

/*
 * Map a received segment descriptor after checking it is a regular file
 * (a memfd) of the right size.  exact: rebind wants exactly size bytes.
 */
static int
segment_fd_check(int fd, uint64_t size, int exact)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		return RSMERR_BAD_ADDR;
	if ((uint64_t)st.st_size < size ||
	    (exact && (uint64_t)st.st_size != size))
		return RSMERR_BAD_LENGTH;
	return RSM_SUCCESS;
}

static int
segment_map(int fd, uint64_t size, int exact, void **map)
{
	void *p;
	int rc;

	if ((rc = segment_fd_check(fd, size, exact)) != RSM_SUCCESS)
		return rc;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return RSMERR_INSUFFICIENT_MEM;
	/*
	 * A memfd that allows sealing cannot be shrunk under the mappings
	 * from now on (a shrink would turn every access into SIGBUS).
	 */
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	*map = p;
	return RSM_SUCCESS;
}

/* ---- request handlers ---- */

static void
fill_ctlr(const struct rsmd *rs, const char *name, uint32_t unit,
    struct rsm_msg_ctlr_reply *r)
{
	const struct rsmd_config *cf = &rs->conf;
	uint64_t tot;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->xport = strncmp(name, "loopback", 8) == 0 ? RSM_XPORT_LOOPBACK :
	    strncmp(name, "tcp", 3) == 0 ? RSM_XPORT_TCP :
	    strncmp(name, "verbs", 5) == 0 ? RSM_XPORT_VERBS : RSM_XPORT_SHM;
	r->unit = unit;
	r->hwaddr = cf->node_id;
	r->direct_access_sizes = RSM_DAS8 | RSM_DAS16 | RSM_DAS32 | RSM_DAS64;
	r->atomic_sizes = 0;
	r->page_size = rs->reg.lim.page_size;
	if (cf->max_segments && cf->max_segment_size >
	    UINT64_MAX / cf->max_segments)
		tot = UINT64_MAX;
	else
		tot = cf->max_segment_size * cf->max_segments;
	r->max_export_segment_size = cf->max_segment_size;
	r->tot_export_segment_size = tot;
	r->max_export_segments = cf->max_segments;
	r->max_import_map_size = cf->max_segment_size;
	r->tot_import_map_size = tot;
	r->max_import_segments = cf->max_segments;
	/* tcp0 moves data with put/get only: nothing can be mapped. */
	if (r->xport == RSM_XPORT_TCP) {
		r->max_import_map_size = 0;
		r->tot_import_map_size = 0;
	}
}

/* "loopback", "loopback<N>" and "shm0" are the controllers of this node. */
static int
ctlr_lookup(const char *name, uint32_t *unit)
{
	const char *s;
	unsigned long v;
	char *end;

	if (strcmp(name, "shm0") == 0) {
		*unit = 0;
		return 0;
	}
	if (strncmp(name, "loopback", 8) != 0)
		return -1;
	s = name + 8;
	if (*s == '\0') {
		*unit = 0;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v > UINT32_MAX)
		return -1;
	*unit = (uint32_t)v;
	return 0;
}

static int
h_hello(struct req *r)
{
	const struct rsm_msg_hello *m = r->p;

	if (m->proto_version != RSM_PROTO_VERSION)
		return RSMERR_BAD_LIBRARY_VERSION;
	r->out.hello.node_id = r->rs->conf.node_id;
	r->out.hello.daemon_pid = (uint64_t)getpid();
	r->out.hello.instance = r->rs->instance;
	r->outlen = sizeof(r->out.hello);
	return RSM_SUCCESS;
}

static int
h_ctlr_query(struct req *r)
{
	const struct rsm_msg_ctlr *m = r->p;
	uint32_t unit;

	int rc;

	if (strncmp(m->name, "verbs", 5) == 0) {
		/* An RDMA device of this node (vserv.c). */
		fill_ctlr(r->rs, m->name, 0, &r->out.ctlr);
		if ((rc = vserv_ctlr(m->name, &r->out.ctlr)) != RSM_SUCCESS)
			return rc;
		r->outlen = sizeof(r->out.ctlr);
		return RSM_SUCCESS;
	}
	if (strcmp(m->name, "tcp0") == 0 && data_enabled(r->rs))
		unit = 0;
	else if (ctlr_lookup(m->name, &unit) == -1)
		return RSMERR_CTLR_NOT_PRESENT;
	fill_ctlr(r->rs, m->name, unit, &r->out.ctlr);
	r->outlen = sizeof(r->out.ctlr);
	return RSM_SUCCESS;
}

static int
h_export_create(struct req *r)
{
	const struct rsm_msg_export_create *m = r->p;
	struct reg_segment *s;
	void *map;
	int rc;

	if ((rc = reg_export_check_args(&r->rs->reg, m->size, m->flags)))
		return rc;
	/* Every segment lives in a memfd, whatever controller exports it. */
	if (m->xport != RSM_XPORT_SHM && m->xport != RSM_XPORT_LOOPBACK &&
	    (m->xport != RSM_XPORT_TCP || !data_enabled(r->rs)) &&
	    (m->xport != RSM_XPORT_VERBS || vserv_nctlr() == 0))
		return RSMERR_CTLR_NOT_PRESENT;
	/* Descriptor faults come before limits and quotas. */
	if ((rc = segment_fd_check(r->fd, m->size, 0)) != RSM_SUCCESS)
		return rc;
	rc = reg_export_add(&r->rs->reg, &r->c->owner, m->size, m->flags,
	    m->mode, m->xport, &s);
	if (rc)
		return rc;
	if ((rc = segment_map(r->fd, m->size, 0, &map)) != RSM_SUCCESS) {
		reg_export_remove(&r->rs->reg, s);
		return rc;
	}
	s->map = map;
	s->fd = r->fd;
	r->fd = -1;
	r->out.handle.handle = s->handle;
	r->outlen = sizeof(r->out.handle);
	log_debug("pid %d exported %#" PRIx64 ": %" PRIu64 " bytes",
	    (int)r->c->owner.pid, s->handle, s->size);
	return RSM_SUCCESS;
}

static struct reg_segment *
my_segment(struct req *r, uint64_t handle)
{
	return reg_segment_find(&r->rs->reg, &r->c->owner, handle);
}

static int
h_export_destroy(struct req *r)
{
	const struct rsm_msg_handle *m = r->p;
	struct reg_segment *s;

	if ((s = my_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	segment_destroy(r->rs, s);
	return RSM_SUCCESS;
}

static int
h_export_rebind(struct req *r)
{
	const struct rsm_msg_rebind *m = r->p;
	struct reg_segment *s;
	void *map;
	int rc;

	if ((s = my_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if ((rc = reg_rebind_check(s, m->size)) != RSM_SUCCESS)
		return rc;
	if ((rc = segment_map(r->fd, s->size, 1, &map)) != RSM_SUCCESS)
		return rc;
	segment_release_memory(s);
	s->map = map;
	s->fd = r->fd;
	r->fd = -1;
	notify_rebound(r->rs, s);
	return RSM_SUCCESS;
}

static int
h_publish(struct req *r)
{
	const struct rsm_msg_publish *m = r->p;
	struct reg_segment *s;
	uint32_t segid = m->segid;
	int rc;

	if ((s = my_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	rc = reg_publish(&r->rs->reg, s, &segid, m->acl, m->acl_len);
	if (rc)
		return rc;
	r->out.publish.segid = segid;
	r->outlen = sizeof(r->out.publish);
	log_debug("pid %d published %#" PRIx64 " as segment %#x",
	    (int)r->c->owner.pid, s->handle, segid);
	return RSM_SUCCESS;
}

static int
h_unpublish(struct req *r)
{
	const struct rsm_msg_handle *m = r->p;
	struct reg_segment *s;

	if ((s = my_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	if (!s->published)
		return RSMERR_SEG_NOT_PUBLISHED;
	notify_revoke_all(r->rs, s, RSMERR_CONN_ABORTED);
	segment_ro_put(s);
	return reg_unpublish(&r->rs->reg, s);
}

static int
h_republish(struct req *r)
{
	const struct rsm_msg_publish *m = r->p;
	struct reg_segment *s;

	if ((s = my_segment(r, m->handle)) == NULL)
		return RSMERR_BAD_SEG_HNDL;
	return reg_republish(&r->rs->reg, s, m->acl, m->acl_len);
}

static int
h_import_connect(struct req *r)
{
	const struct rsm_msg_connect *m = r->p;
	struct rsm_msg_connect_reply *o = &r->out.connect;
	struct reg_import *im;
	int rc, fd;

	if (m->xport == RSM_XPORT_TCP && !data_enabled(r->rs))
		return RSMERR_CTLR_NOT_PRESENT;
	if (m->xport == RSM_XPORT_VERBS && vserv_nctlr() == 0)
		return RSMERR_CTLR_NOT_PRESENT;
	/*
	 * Another node's segment: tcp0 and verbsN reach it, through its
	 * daemon, which issues the capability.
	 */
	if ((m->xport == RSM_XPORT_TCP || m->xport == RSM_XPORT_VERBS) &&
	    m->node != r->rs->conf.node_id)
		return remote_connect(r->rs, r->c, r->h->id, m->node, m->segid,
		    m->perm, m->xport);
	/* Our own segment through verbs: only while we serve it. */
	if (m->xport == RSM_XPORT_VERBS && !vserv_serving())
		return RSMERR_CTLR_NOT_PRESENT;
	rc = reg_import_connect(&r->rs->reg, &r->c->owner, m->node, m->segid,
	    m->perm, &im);
	if (rc)
		return rc;
	/* tcp0: a capability for the data server instead of the memfd. */
	if (m->xport == RSM_XPORT_TCP) {
		if ((rc = cap_issue(r->rs, im, &o->cap)) != RSM_SUCCESS) {
			reg_import_remove(&r->rs->reg, im);
			return rc;
		}
		fd = -1;
	} else if (m->xport == RSM_XPORT_VERBS) {
		/* verbsN: the rkey of our mapping and the rdma_cm listener. */
		if ((rc = vcap_issue(r->rs, im, &o->cap)) != RSM_SUCCESS) {
			reg_import_remove(&r->rs->reg, im);
			return rc;
		}
		fd = -1;
	} else if ((fd = segment_fd_for(im->seg, im->perm,
	    &r->outfd_owned)) < 0) {
		reg_import_remove(&r->rs->reg, im);
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	o->handle = im->handle;
	o->size = im->seg->size;
	o->node_mode = im->node_mode;
	o->owner_uid = im->seg->uid;
	o->owner_gid = im->seg->gid;
	o->granted = im->perm;
	r->outlen = sizeof(*o);
	r->outfd = fd;
	return RSM_SUCCESS;
}

static int
h_import_disconnect(struct req *r)
{
	const struct rsm_msg_handle *m = r->p;
	struct reg_segment *s;
	struct reg_import *im;

	im = reg_import_find(&r->rs->reg, &r->c->owner, m->handle);
	if (im == NULL)
		return RSMERR_BAD_SEG_HNDL;
	s = im->seg;
	remote_forget(r->rs, im);
	cap_revoke(r->rs, im, RSMERR_CONN_ABORTED);
	reg_import_remove(&r->rs->reg, im);
	segment_ro_put(s);
	return RSM_SUCCESS;
}

static int
h_signal_post(struct req *r)
{
	const struct rsm_msg_signal *m = r->p;
	uint32_t flags = m->flags & RSM_SIGPOST_NO_ACCUMULATE;
	struct reg_segment *s;
	struct reg_import *im;

	switch (m->kind) {
	case RSM_HKIND_IMPORT:
		im = reg_import_find(&r->rs->reg, &r->c->owner, m->handle);
		if (im == NULL)
			return RSMERR_BAD_SEG_HNDL;
		if (im->remote != NULL)
			return remote_post_to_exporter(r->rs, im, flags);
		if (im->seg == NULL)
			return RSMERR_CONN_ABORTED;
		notify_event(r->rs, (struct client *)(void *)im->seg->owner,
		    RSM_HKIND_EXPORT, flags, im->seg->handle);
		return RSM_SUCCESS;
	case RSM_HKIND_EXPORT:
		if ((s = my_segment(r, m->handle)) == NULL)
			return RSMERR_BAD_SEG_HNDL;
		TAILQ_FOREACH(im, &s->imports, seg_link) {
			if (im->owner->node != 0)
				remote_post_to_importer(r->rs, im, flags);
			else
				notify_event(r->rs,
				    (struct client *)(void *)im->owner,
				    RSM_HKIND_IMPORT, flags, im->handle);
		}
		return RSM_SUCCESS;
	default:
		return RSMERR_BAD_SEG_HNDL;
	}
}

static int
h_topology(struct req *r)
{
	struct rsm_msg_topology *t = &r->out.topo;
	unsigned i;

	t->node_id = r->rs->conf.node_id;
	t->nctlr = 1;
	snprintf(t->ctlr[0].name, sizeof(t->ctlr[0].name), "shm0");
	t->ctlr[0].hwaddr = r->rs->conf.node_id;
	if (data_enabled(r->rs)) {
		snprintf(t->ctlr[t->nctlr].name, sizeof(t->ctlr[0].name),
		    "tcp0");
		t->ctlr[t->nctlr++].hwaddr = r->rs->conf.node_id;
	}
	t->nremote = 0;
	/* Peers are reached through tcp0 when it runs, else through shm0. */
	peer_topology(r->rs, t, t->nctlr - 1);
	/* The node's RDMA devices (vserv.c), without remote entries. */
	for (i = 0; i < vserv_nctlr() && t->nctlr < RSM_TOPO_CTLR_MAX; i++) {
		snprintf(t->ctlr[t->nctlr].name, sizeof(t->ctlr[0].name),
		    "verbs%u", i);
		t->ctlr[t->nctlr++].hwaddr = r->rs->conf.node_id;
	}
	r->outlen = sizeof(*t);
	return RSM_SUCCESS;
}

static int
h_nodes(struct req *r)
{
	struct rsm_msg_nodeinfo ni;
	size_t i, n = peer_count(r->rs);

	for (i = 0; i < n; i++) {
		peer_info(r->rs, i, &ni);
		send_more(r, &ni, sizeof(ni));
	}
	memset(&r->out.nodeinfo, 0, sizeof(r->out.nodeinfo));
	r->out.nodeinfo.last = 1;
	r->out.nodeinfo.count = (uint32_t)n;
	r->outlen = sizeof(r->out.nodeinfo);
	return RSM_SUCCESS;
}

/* A PING waiting for its PONG: who asked, under which id. */
struct ping_wait {
	uint64_t	 serial;
	uint64_t	 id;
	uint32_t	 node;
};

static void
ping_done(struct rsmd *rs, void *arg, int status, uint64_t rtt_us)
{
	struct ping_wait *w = arg;
	struct rsm_msg_ping_reply pr;
	struct client *c;

	if ((c = control_client_by_serial(rs, w->serial)) != NULL) {
		memset(&pr, 0, sizeof(pr));
		pr.node = w->node;
		pr.rtt_us = rtt_us;
		control_reply(rs, c, RSM_MSG_PING, w->id, status, &pr,
		    sizeof(pr));
	}
	free(w);
}

static int
h_ping(struct req *r)
{
	const struct rsm_msg_ping *m = r->p;
	struct ping_wait *w;

	if (m->node == r->rs->conf.node_id || !peer_is_up(r->rs, m->node))
		return RSMERR_REMOTE_NODE_UNREACHABLE;
	if ((w = malloc(sizeof(*w))) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	w->serial = r->c->serial;
	w->id = r->h->id;
	w->node = m->node;
	if (peer_ping(r->rs, m->node, ping_done, w) == -1) {
		free(w);
		return RSMERR_INSUFFICIENT_MEM;
	}
	return RSMD_DEFERRED;
}

static int
h_status(struct req *r)
{
	struct rsm_msg_status *st = &r->out.status;
	const struct rsmd *rs = r->rs;

	st->node_id = rs->conf.node_id;
	st->daemon_pid = (uint64_t)getpid();
	st->uptime_ms = now_ms() - rs->start_ms;
	st->clients = rs->nclients;
	st->segments = rs->reg.nsegments;
	st->published = rs->reg.npublished;
	st->imports = rs->reg.nimports;
	st->bytes_exported = rs->reg.bytes;
	st->requests = rs->requests;
	st->refused = rs->refused;
	r->outlen = sizeof(*st);
	return RSM_SUCCESS;
}

static void
send_more(struct req *r, const void *payload, size_t len)
{
	struct rsm_msg_hdr h;

	rsm_msg_hdr_init(&h, r->h->type, RSM_MSGF_REPLY | RSM_MSGF_MORE,
	    RSM_SUCCESS, r->h->id, len);
	client_send(r->rs, r->c, &h, payload, len, -1);
}

static int
h_list_segments(struct req *r)
{
	struct rsm_msg_seginfo si;
	struct reg_segment *s;
	struct reg_import *im;
	uint32_t count = 0, k;

	TAILQ_FOREACH(s, &r->rs->reg.all, all_link) {
		memset(&si, 0, sizeof(si));
		si.handle = s->handle;
		si.size = s->size;
		si.segid = s->segid;
		si.published = (uint32_t)s->published;
		si.owner_pid = (uint32_t)s->pid;
		si.owner_uid = (uint32_t)s->uid;
		si.owner_gid = (uint32_t)s->gid;
		si.mode = s->mode;
		si.acl_len = s->acl_len;
		si.nimporters = (uint32_t)s->nimports;
		k = 0;
		TAILQ_FOREACH(im, &s->imports, seg_link) {
			if (k == RSM_INFO_IMPORTERS_MAX)
				break;
			si.importer_node[k] = im->owner->node != 0 ?
			    im->owner->node : r->rs->conf.node_id;
			si.importer_pid[k++] = (uint32_t)im->owner->pid;
		}
		send_more(r, &si, sizeof(si));
		count++;
	}
	memset(&r->out.seginfo, 0, sizeof(r->out.seginfo));
	r->out.seginfo.last = 1;
	r->out.seginfo.count = count;
	r->outlen = sizeof(r->out.seginfo);
	return RSM_SUCCESS;
}

static int
h_list_ctlrs(struct req *r)
{
	struct rsm_msg_ctlr_reply cr;
	char name[RSM_CTLR_NAME_MAX];
	unsigned i;

	fill_ctlr(r->rs, "loopback", 0, &cr);
	send_more(r, &cr, sizeof(cr));
	fill_ctlr(r->rs, "shm0", 0, &cr);
	send_more(r, &cr, sizeof(cr));
	if (data_enabled(r->rs)) {
		fill_ctlr(r->rs, "tcp0", 0, &cr);
		send_more(r, &cr, sizeof(cr));
	}
	for (i = 0; i < vserv_nctlr(); i++) {
		snprintf(name, sizeof(name), "verbs%u", i);
		fill_ctlr(r->rs, name, 0, &cr);
		if (vserv_ctlr(name, &cr) == RSM_SUCCESS)
			send_more(r, &cr, sizeof(cr));
	}
	memset(&r->out.ctlr, 0, sizeof(r->out.ctlr));
	r->outlen = sizeof(r->out.ctlr);
	return RSM_SUCCESS;
}

static handler_fn
handler_for(uint16_t type)
{
	switch (type) {
	case RSM_MSG_HELLO:		return h_hello;
	case RSM_MSG_CTLR_QUERY:	return h_ctlr_query;
	case RSM_MSG_EXPORT_CREATE:	return h_export_create;
	case RSM_MSG_EXPORT_DESTROY:	return h_export_destroy;
	case RSM_MSG_EXPORT_REBIND:	return h_export_rebind;
	case RSM_MSG_PUBLISH:		return h_publish;
	case RSM_MSG_UNPUBLISH:		return h_unpublish;
	case RSM_MSG_REPUBLISH:		return h_republish;
	case RSM_MSG_IMPORT_CONNECT:	return h_import_connect;
	case RSM_MSG_IMPORT_DISCONNECT:	return h_import_disconnect;
	case RSM_MSG_SIGNAL_POST:	return h_signal_post;
	case RSM_MSG_TOPOLOGY:		return h_topology;
	case RSM_MSG_STATUS:		return h_status;
	case RSM_MSG_LIST_SEGMENTS:	return h_list_segments;
	case RSM_MSG_LIST_CTLRS:	return h_list_ctlrs;
	case RSM_MSG_NODES:		return h_nodes;
	case RSM_MSG_PING:		return h_ping;
	default:			return NULL;
	}
}

/* ---- reading ---- */

static void
refuse(struct rsmd *rs, struct client *c, const void *buf, ssize_t n,
    const char *why)
{
	struct rsm_msg_hdr h;
	char msg[160];

	rs->refused++;
	if (n >= (ssize_t)sizeof(h)) {
		memcpy(&h, buf, sizeof(h));
		snprintf(msg, sizeof(msg), "refused a %zd-byte message "
		    "(type %u, %s): %s", n, h.type, rsm_msg_name(h.type), why);
	} else
		snprintf(msg, sizeof(msg), "refused a %zd-byte message: %s",
		    n, why);
	log_warnx("client pid %d uid %u: %s", (int)c->owner.pid,
	    (unsigned)c->owner.uid, msg);
	client_kill(rs, c, "disconnected after a refused message");
}

static void
serve(struct rsmd *rs, struct client *c, const void *buf, size_t n, int fd)
{
	struct rsm_msg_hdr h, rh;
	struct req r;
	handler_fn fn;
	int status;

	memcpy(&h, buf, sizeof(h));
	memset(&r, 0, sizeof(r));
	r.rs = rs;
	r.c = c;
	r.h = &h;
	r.p = (const unsigned char *)buf + sizeof(h);
	r.plen = n - sizeof(h);
	r.fd = fd;
	r.outfd = -1;
	rs->requests++;
	if ((fn = handler_for(h.type)) == NULL)
		status = RSMERR_INTERNAL_ERROR;
	else
		status = fn(&r);
	if (r.fd >= 0)
		close(r.fd);
	if (status == RSMD_DEFERRED)
		return;
	if (status != RSM_SUCCESS) {
		log_debug("client pid %d: %s -> error %d", (int)c->owner.pid,
		    rsm_msg_name(h.type), status);
		rsm_msg_hdr_init(&rh, h.type, RSM_MSGF_REPLY, (uint32_t)status,
		    h.id, 0);
		client_send(rs, c, &rh, NULL, 0, -1);
		return;
	}
	rsm_msg_hdr_init(&rh, h.type, RSM_MSGF_REPLY, RSM_SUCCESS, h.id,
	    r.outlen);
	client_send(rs, c, &rh, &r.out, r.outlen, r.outfd);
	if (r.outfd_owned)
		close(r.outfd);
}

struct client *
control_client_by_serial(struct rsmd *rs, uint64_t serial)
{
	struct client *c;

	TAILQ_FOREACH(c, &rs->clients, link)
		if (c->serial == serial)
			return c->dead ? NULL : c;
	return NULL;
}

void
control_reply(struct rsmd *rs, struct client *c, uint16_t type, uint64_t id,
    int status, const void *payload, size_t len)
{
	struct rsm_msg_hdr h;

	if (status != RSM_SUCCESS)
		len = 0;
	rsm_msg_hdr_init(&h, type, RSM_MSGF_REPLY, (uint32_t)status, id, len);
	client_send(rs, c, &h, len ? payload : NULL, len, -1);
}

static void
client_read(struct rsmd *rs, struct client *c)
{
	/* Aligned so the payload after the 24-byte header can be cast. */
	union {
		struct rsm_msg_hdr h;
		uint64_t align;
		unsigned char raw[RSM_MSG_MAX];
	} buf;
	int i, fd, nfds, rc;
	ssize_t n;

	for (i = 0; i < CLIENT_BURST && !c->dead && TAILQ_EMPTY(&c->outq);
	    i++) {
		n = rsm_msg_recv(c->fd, buf.raw, sizeof(buf.raw), &fd, &nfds);
		if (n == 0) {
			client_kill(rs, c, NULL);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EMSGSIZE) {
				refuse(rs, c, NULL, 0, "truncated (above "
				    "RSM_MSG_MAX bytes or too many descriptors)");
				return;
			}
			client_kill(rs, c, errno == ECONNRESET ? NULL :
			    "receive failed");
			return;
		}
		if ((rc = rsm_msg_check(buf.raw, (size_t)n, nfds, 0)) != 0) {
			if (fd >= 0)
				close(fd);
			refuse(rs, c, buf.raw, n, rsm_msgchk_str(rc));
			return;
		}
		serve(rs, c, buf.raw, (size_t)n, fd);
	}
}

void
control_client_event(struct rsmd *rs, struct client *c, uint32_t events)
{
	if (c->dead)
		return;
	if (events & EPOLLOUT)
		client_flush(rs, c);
	if (!c->dead && (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		client_read(rs, c);
	/* Hung up with nothing left to read (or unable to read it). */
	if (!c->dead && (events & (EPOLLHUP | EPOLLERR)) &&
	    !TAILQ_EMPTY(&c->outq))
		client_kill(rs, c, NULL);
}

/* ---- death ---- */

static void
client_free(struct rsmd *rs, struct client *c)
{
	struct reg_segment *s;
	struct reg_import *im;
	struct outmsg *m;

	while ((s = TAILQ_FIRST(&c->owner.segments)) != NULL)
		segment_destroy(rs, s);
	while ((im = TAILQ_FIRST(&c->owner.imports)) != NULL) {
		s = im->seg;
		remote_forget(rs, im);
		cap_revoke(rs, im, RSMERR_CONN_ABORTED);
		reg_import_remove(&rs->reg, im);
		segment_ro_put(s);
	}
	while ((m = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, m, link);
		outmsg_free(m);
	}
	log_debug("client pid %d gone", (int)c->owner.pid);
	close(c->fd);
	free(c->owner.groups);
	free(c);
	rs->nclients--;
}

void
control_reap(struct rsmd *rs)
{
	struct client *c;

	/* Freeing one client may notify, and so kill, another: loop. */
	while ((c = TAILQ_FIRST(&rs->closing)) != NULL) {
		TAILQ_REMOVE(&rs->closing, c, link);
		client_free(rs, c);
	}
}

void
control_shutdown(struct rsmd *rs)
{
	struct client *c;

	while ((c = TAILQ_FIRST(&rs->clients)) != NULL)
		client_kill(rs, c, NULL);
	control_reap(rs);
	control_close(rs);
}
