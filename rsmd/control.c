/*
 * control.c - the node's local socket: listen, accept, read, check,
 * dispatch to one handler per request type (handler.h), reply, and clean
 * up after a client that goes away.
 *
 * Every packet passes rsm_msg_check() before any field is read; a refused
 * packet is logged, counted and costs the sender its connection.  Every
 * request gets exactly one reply (a list gets a stream whose last message
 * lacks RSM_MSGF_MORE), except a posted one (RSM_MSGF_POSTED: a
 * disconnect), whose sender waits for nothing.  Sends never block: what the socket will not take
 * now waits in the client's bounded output queue, and while a client has
 * output queued its requests are not read, so a client that does not read
 * its replies only slows itself.  What a client has queued is read several
 * requests per system call, and the replies leave together (the cork).
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
#include "handler.h"
#include "remote.h"
#include "log.h"
#include "capability.h"

/* Requests read from one client per loop round, for fairness. */
#define CLIENT_BURST		64
/*
 * Replies without a descriptor held during a burst (struct client_cork):
 * with the one that ends it, one system call's worth.
 */
#define CORK_MSGS		(RSM_MSG_BATCH - 1)
#define CORK_BYTES		8192
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

/*
 * The replies to one burst of a client's requests, held until the burst
 * has been read (client_read) so that they reach the client together: a
 * client that sent two requests back to back (a disconnect it does not
 * wait for, then a connect) is woken once, not once per reply.  Only
 * messages without a descriptor wait here: a descriptor may be closed by
 * a later request of the same burst, so a message with one first sends
 * what is held, then itself, at once.  Order is kept: everything sent to
 * the client while it is corked goes through the cork.
 */
struct client_cork {
	unsigned	 n;
	size_t		 used;
	struct {
		struct rsm_msg_hdr h;
		size_t	 off, len;
	} m[CORK_MSGS];
	unsigned char	 buf[CORK_BYTES];
};

static void client_kill(struct rsmd *, struct client *, const char *);
static void cork_flush(struct rsmd *, struct client *,
    const struct rsm_msg_out *);

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
	int fd, i, exhausted;

	for (i = 0; i < CLIENT_BURST; i++) {
		if ((fd = rsmd_accept(rs, &rs->listen_io, NULL, "local socket",
		    &exhausted)) == -1) {
			if (exhausted)
				rs->accept_paused = 1;
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
	/* What it was answered before it broke the rules still goes. */
	cork_flush(rs, c, NULL);
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

/* Hold one message in the cork: 0, or -1 when it is full. */
static int
cork_add(struct client_cork *k, const struct rsm_msg_hdr *h,
    const void *payload, size_t len)
{
	if (k->n == CORK_MSGS || len > sizeof(k->buf) - k->used)
		return -1;
	k->m[k->n].h = *h;
	k->m[k->n].off = k->used;
	k->m[k->n].len = len;
	if (len)
		memcpy(k->buf + k->used, payload, len);
	k->used += len;
	k->n++;
	return 0;
}

/*
 * The longest list: STATS (a segment each, some of their imports, a peer
 * each), longer than LIST_SEGMENTS or NODES.
 */
static size_t
outq_bound(const struct rsmd *rs)
{
	size_t list = (size_t)rs->conf.max_segments + rs->conf.npeers +
	    RSMD_STATS_IMPORTS_MAX;

	return OUTQ_SLACK + list + 2;
}

/* Queue one message the socket would not take now. */
static void
client_queue(struct rsmd *rs, struct client *c, const struct rsm_msg_out *o)
{
	struct outmsg *m;

	if (c->outq_len >= outq_bound(rs)) {
		client_kill(rs, c, "not reading: output queue full");
		return;
	}
	if ((m = malloc(sizeof(*m) + o->len)) == NULL) {
		client_kill(rs, c, "out of memory for its output queue");
		return;
	}
	m->fd = -1;
	if (o->fd >= 0 && (m->fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		log_warn("dup");
		free(m);
		client_kill(rs, c, "cannot queue a descriptor");
		return;
	}
	m->hdr = *o->h;
	m->plen = o->len;
	if (o->len)
		memcpy(m->payload, o->payload, o->len);
	TAILQ_INSERT_TAIL(&c->outq, m, link);
	c->outq_len++;
	/* Stop reading its requests until it has read our replies. */
	client_set_events(rs, c, EPOLLOUT | EPOLLRDHUP);
}

/* Send out[0..n) in order, one system call; what does not fit waits. */
static void
client_send_many(struct rsmd *rs, struct client *c,
    const struct rsm_msg_out *out, unsigned n)
{
	unsigned i = 0;
	int r;

	if (c->dead)
		return;
	while (i < n && TAILQ_EMPTY(&c->outq)) {
		if ((r = rsm_msg_send_many(c->fd, out + i, n - i)) >= 0) {
			i += (unsigned)r;
			continue;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		client_kill(rs, c, errno == EPIPE || errno == ECONNRESET ?
		    "gone" : "send failed");
		return;
	}
	for (; i < n && !c->dead; i++)
		client_queue(rs, c, &out[i]);
}

/*
 * Send what the cork holds, then `last` if not NULL, in order; the client
 * stays corked.
 */
static void
cork_flush(struct rsmd *rs, struct client *c, const struct rsm_msg_out *last)
{
	struct rsm_msg_out out[CORK_MSGS + 1];
	struct client_cork *k = c->cork;
	unsigned i, n = 0;

	if (k != NULL)
		for (i = 0; i < k->n; i++) {
			out[n].h = &k->m[i].h;
			out[n].payload = k->buf + k->m[i].off;
			out[n].len = k->m[i].len;
			out[n].fd = -1;
			n++;
		}
	if (last != NULL)
		out[n++] = *last;
	if (k != NULL) {
		/* Emptied first: a send that kills the client flushes again. */
		k->n = 0;
		k->used = 0;
	}
	client_send_many(rs, c, out, n);
}

void
client_send(struct rsmd *rs, struct client *c, const struct rsm_msg_hdr *h,
    const void *payload, size_t len, int fd)
{
	struct rsm_msg_out o = { h, payload, len, fd };

	if (c->dead)
		return;
	if (c->cork != NULL) {
		if (fd < 0 && cork_add(c->cork, h, payload, len) == 0)
			return;
		cork_flush(rs, c, &o);
		return;
	}
	client_send_many(rs, c, &o, 1);
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

/* Requests by message type; rsm_msg_check() passed only known types. */
static const handler_fn handlers[] = {
	[RSM_MSG_HELLO]			= h_hello,
	[RSM_MSG_CTLR_QUERY]		= h_ctlr_query,
	[RSM_MSG_EXPORT_CREATE]		= h_export_create,
	[RSM_MSG_EXPORT_DESTROY]	= h_export_destroy,
	[RSM_MSG_EXPORT_REBIND]		= h_export_rebind,
	[RSM_MSG_PUBLISH]		= h_publish,
	[RSM_MSG_UNPUBLISH]		= h_unpublish,
	[RSM_MSG_REPUBLISH]		= h_republish,
	[RSM_MSG_IMPORT_CONNECT]	= h_import_connect,
	[RSM_MSG_IMPORT_DISCONNECT]	= h_import_disconnect,
	[RSM_MSG_SIGNAL_POST]		= h_signal_post,
	[RSM_MSG_TOPOLOGY]		= h_topology,
	[RSM_MSG_STATUS]		= h_status,
	[RSM_MSG_LIST_SEGMENTS]		= h_list_segments,
	[RSM_MSG_LIST_CTLRS]		= h_list_ctlrs,
	[RSM_MSG_NODES]			= h_nodes,
	[RSM_MSG_PING]			= h_ping,
	[RSM_MSG_DSEG_CREATE]		= h_dseg_create,
	[RSM_MSG_DSEG_REMOVE]		= h_dseg_remove,
	[RSM_MSG_DSEG_READ]		= h_dseg_read,
	[RSM_MSG_DSEG_WRITE]		= h_dseg_write,
	[RSM_MSG_UFFD]			= h_uffd,
	[RSM_MSG_STATS]			= h_stats,
	[RSM_MSG_MONITOR]		= h_monitor,
	[RSM_MSG_ADMIN_REMOTE]		= h_admin_remote,
};

handler_fn
control_handler_for(uint16_t type)
{
	/* Notifications have no handler: a client sending one is refused. */
	if (type >= sizeof(handlers) / sizeof(handlers[0]))
		return NULL;
	return handlers[type];
}

/* ---- replies ---- */

void
req_send_more(struct req *r, const void *payload, size_t len)
{
	struct rsm_msg_hdr h;

	if (r->more != NULL) {
		r->more(r, payload, len);
		return;
	}
	rsm_msg_hdr_init(&h, r->h->type, RSM_MSGF_REPLY | RSM_MSGF_MORE,
	    RSM_SUCCESS, r->h->id, len);
	client_send(r->rs, r->c, &h, payload, len, -1);
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
	/* One line, rate limited: a client can reconnect and refuse again. */
	log_refusal(&rs->refusal_log, RSMD_LOG_WARN,
	    "client pid %d uid %u: %s; disconnected", (int)c->owner.pid,
	    (unsigned)c->owner.uid, msg);
	client_kill(rs, c, NULL);
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
	if ((fn = control_handler_for(h.type)) == NULL) {
		status = RSMERR_INTERNAL_ERROR;
		log_refusal(&rs->refusal_log, RSMD_LOG_WARN,
		    "client pid %d uid %u: %s (type %u) refused: %s: a "
		    "notification, not a request", (int)c->owner.pid,
		    (unsigned)c->owner.uid, rsm_msg_name(h.type), h.type,
		    rsm_err_name(status));
	} else
		status = fn(&r);
	if (r.fd >= 0)
		close(r.fd);
	if (status == RSMD_DEFERRED)
		return;
	if (h.flags & RSM_MSGF_POSTED) {
		/* Its sender waits for nothing: an error is only ours to log. */
		if (status != RSM_SUCCESS)
			log_debug("client pid %d: posted %s -> %s",
			    (int)c->owner.pid, rsm_msg_name(h.type),
			    rsm_err_name(status));
		if (r.outfd_owned)
			close(r.outfd);
		return;
	}
	if (status != RSM_SUCCESS) {
		log_debug("client pid %d: %s -> %s", (int)c->owner.pid,
		    rsm_msg_name(h.type), rsm_err_name(status));
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

/* One packet of a client's: refused, or served. */
static void
client_packet(struct rsmd *rs, struct client *c, struct rsm_msg_in *in)
{
	int rc;

	if (c->dead) {
		/* Read with the ones before it; nobody will serve it now. */
		if (in->fd >= 0)
			close(in->fd);
		return;
	}
	if (in->len == 0) {
		client_kill(rs, c, NULL);
		return;
	}
	if (in->truncated) {
		refuse(rs, c, NULL, 0, "truncated (above RSM_MSG_MAX bytes or "
		    "too many descriptors)");
		return;
	}
	if ((rc = rsm_msg_check(in->buf, (size_t)in->len, in->nfds, 0)) != 0) {
		if (in->fd >= 0)
			close(in->fd);
		refuse(rs, c, in->buf, in->len, rsm_msgchk_str(rc));
		return;
	}
	serve(rs, c, in->buf, (size_t)in->len, in->fd);
}

/*
 * Read and serve up to CLIENT_BURST requests of one client, what is queued
 * read RSM_MSG_BATCH at a time.  A batch is served whole even if the
 * client's output queue fills meanwhile (OUTQ_SLACK covers it); no batch
 * is read while it is not empty.
 */
static void
client_read_burst(struct rsmd *rs, struct client *c)
{
	/* Aligned so the payload after the 24-byte header can be cast. */
	union {
		struct rsm_msg_hdr h;
		uint64_t align;
		unsigned char raw[RSM_MSG_MAX];
	} buf[RSM_MSG_BATCH];
	struct rsm_msg_in in[RSM_MSG_BATCH];
	unsigned i, want;
	int done = 0, n;

	for (i = 0; i < RSM_MSG_BATCH; i++)
		in[i].buf = buf[i].raw;
	while (done < CLIENT_BURST && !c->dead && TAILQ_EMPTY(&c->outq)) {
		want = CLIENT_BURST - done < (int)RSM_MSG_BATCH ?
		    (unsigned)(CLIENT_BURST - done) : RSM_MSG_BATCH;
		n = rsm_msg_recv_many(c->fd, in, want, sizeof(buf[0].raw),
		    0);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				client_kill(rs, c, errno == ECONNRESET ? NULL :
				    "receive failed");
			return;
		}
		for (i = 0; i < (unsigned)n; i++)
			client_packet(rs, c, &in[i]);
		done += n;
		/* Fewer than asked for: nothing is left to read now. */
		if ((unsigned)n < want)
			return;
	}
}

/* A burst with its replies corked: they go out once it is read. */
static void
client_read(struct rsmd *rs, struct client *c)
{
	struct client_cork cork;

	cork.n = 0;
	cork.used = 0;
	c->cork = &cork;
	client_read_burst(rs, c);
	cork_flush(rs, c, NULL);
	c->cork = NULL;
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
