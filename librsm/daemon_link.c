/*
 * daemon_link.c - the process's one connection to rsmd.
 *
 * Opened lazily by the first call that needs the daemon: connect, HELLO,
 * then a receiver thread that reads every packet, checks it with
 * rsm_msg_check(), completes the waiting request with the same id, and
 * runs notifications (REVOKED, EVENT, REBOUND).  Each successful connect
 * starts a new epoch; handles remember the epoch they were made in, so when
 * the daemon goes away every handle of that epoch is stale at once.  On
 * EOF the receiver answers every pending request with RSMERR_CONN_ABORTED:
 * nobody waits on a dead daemon.
 */
#include "rsm_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct pending {
	struct pending	*next;
	uint64_t	 id;
	pthread_cond_t	 cv;
	int		 done;
	struct rsm_call	*call;
	uint32_t	 status;
};

static struct {
	pthread_mutex_t	 mtx;
	int		 fd;		/* -1: down */
	uint64_t	 epoch;		/* epoch of the current (or last) link */
	uint64_t	 dead_upto;	/* every epoch <= this is over */
	uint32_t	 node_id;
	int		 death_fd;	/* eventfd written when this link dies */
	uint64_t	 next_id;
	struct pending	*pending;
	int		 atfork_done;
} link_st = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.fd = -1,
	.death_fd = -1,
	.next_id = 1,
};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

struct rx_arg {
	int		 fd;
	uint64_t	 epoch;
};

static void
pending_remove(struct pending *p)
{
	struct pending **pp;

	for (pp = &link_st.pending; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			return;
		}
	}
}

/* Link of `epoch` is gone: fail its requests, make its handles stale. */
static void
link_died(int fd, uint64_t epoch)
{
	struct pending *p;
	int dfd = -1;

	pthread_mutex_lock(&link_st.mtx);
	if (link_st.fd == fd && link_st.epoch == epoch) {
		link_st.fd = -1;
		if (link_st.dead_upto < epoch)
			link_st.dead_upto = epoch;
		dfd = link_st.death_fd;
		link_st.death_fd = -1;
		while ((p = link_st.pending) != NULL) {
			link_st.pending = p->next;
			p->status = RSMERR_CONN_ABORTED;
			p->done = 1;
			pthread_cond_signal(&p->cv);
		}
	}
	pthread_mutex_unlock(&link_st.mtx);
	close(fd);
	rsm_handles_lock();
	rsm_imports_link_died(epoch, 1);
	rsm_handles_unlock();
	if (dfd >= 0) {
		uint64_t one = 1;

		/* Waiters hold dups of this eventfd; ours can go now. */
		(void)!write(dfd, &one, sizeof(one));
		close(dfd);
	}
}

static void
handle_reply(uint64_t epoch, const struct rsm_msg_hdr *h, const void *payload,
    size_t plen, int rfd)
{
	struct pending *p;

	pthread_mutex_lock(&link_st.mtx);
	for (p = link_st.pending; p != NULL; p = p->next)
		if (p->id == h->id)
			break;
	if (p == NULL) {
		/* A reply for a request that was abandoned: drop it. */
		pthread_mutex_unlock(&link_st.mtx);
		if (rfd >= 0)
			close(rfd);
		return;
	}
	pending_remove(p);
	p->status = h->status;
	if (h->status == RSM_SUCCESS) {
		struct rsm_call *c = p->call;

		if (plen > c->reply_cap)
			plen = c->reply_cap;
		if (c->reply != NULL)
			memcpy(c->reply, payload, plen);
		c->reply_fd = rfd;
		rfd = -1;
		/*
		 * Register the daemon handle in the slot before any later
		 * notification about it is read on this thread.
		 */
		if (c->slot != NULL && plen >= sizeof(struct rsm_msg_handle)) {
			uint64_t dh;

			memcpy(&dh, payload, sizeof(dh));
			rsm_handles_lock();
			c->slot->dh = dh;
			c->slot->epoch = epoch;
			rsm_handles_unlock();
		}
	}
	p->done = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&link_st.mtx);
	if (rfd >= 0)
		close(rfd);
}

static void
handle_notification(uint64_t epoch, const struct rsm_msg_hdr *h,
    const void *payload, int rfd)
{
	switch (h->type) {
	case RSM_MSG_REVOKED: {
		struct rsm_msg_revoked r;

		memcpy(&r, payload, sizeof(r));
		rsm_import_revoked(epoch, r.handle);
		break;
	}
	case RSM_MSG_EVENT: {
		struct rsm_msg_event e;

		memcpy(&e, payload, sizeof(e));
		rsm_event_deliver(epoch, e.kind, e.handle, e.flags);
		break;
	}
	case RSM_MSG_REBOUND: {
		struct rsm_msg_rebound r;

		memcpy(&r, payload, sizeof(r));
		rsm_import_rebound(epoch, r.handle, r.size, rfd);
		rfd = -1;	/* consumed */
		break;
	}
	default:
		break;
	}
	if (rfd >= 0)
		close(rfd);
}

static void *
receiver(void *arg)
{
	struct rx_arg a = *(struct rx_arg *)arg;
	union {
		unsigned char b[RSM_MSG_MAX];
		uint64_t align;
	} buf;

	free(arg);
	for (;;) {
		struct rsm_msg_hdr h;
		ssize_t n;
		int rfd, nfds;

		n = rsm_msg_recv(a.fd, buf.b, sizeof(buf.b), &rfd, &nfds);
		if (n <= 0)
			break;
		/* A daemon that breaks the protocol is treated as dead. */
		if (rsm_msg_check(buf.b, (size_t)n, nfds, 1) != 0) {
			if (rfd >= 0)
				close(rfd);
			break;
		}
		memcpy(&h, buf.b, sizeof(h));
		if (h.flags & RSM_MSGF_REPLY)
			handle_reply(a.epoch, &h, buf.b + sizeof(h), (size_t)n - sizeof(h),
			    rfd);
		else
			handle_notification(a.epoch, &h, buf.b + sizeof(h), rfd);
	}
	link_died(a.fd, a.epoch);
	return NULL;
}

/* HELLO on a fresh socket, before the receiver exists: plain recv. */
static int
hello(int fd, uint32_t *node_id)
{
	struct rsm_msg_hdr h, rh;
	struct rsm_msg_hello req = { RSM_PROTO_VERSION, 0 };
	struct rsm_msg_hello_reply rep;
	union {
		unsigned char b[RSM_MSG_MAX];
		uint64_t align;
	} buf;
	ssize_t n;
	int rfd, nfds;

	rsm_msg_hdr_init(&h, RSM_MSG_HELLO, 0, 0, 1, sizeof(req));
	if (rsm_msg_send(fd, &h, &req, sizeof(req), -1) != 0)
		return RSMERR_CTLR_NOT_PRESENT;
	n = rsm_msg_recv(fd, buf.b, sizeof(buf.b), &rfd, &nfds);
	if (n <= 0)
		return RSMERR_CTLR_NOT_PRESENT;
	if (rfd >= 0)
		close(rfd);
	if (rsm_msg_check(buf.b, (size_t)n, nfds, 1) != 0)
		return RSMERR_CTLR_NOT_PRESENT;
	memcpy(&rh, buf.b, sizeof(rh));
	if (rh.type != RSM_MSG_HELLO || rh.id != 1)
		return RSMERR_CTLR_NOT_PRESENT;
	if (rh.status != RSM_SUCCESS)
		return rh.status == RSMERR_BAD_LIBRARY_VERSION ?
		    RSMERR_BAD_LIBRARY_VERSION : RSMERR_CTLR_NOT_PRESENT;
	memcpy(&rep, buf.b + sizeof(rh), sizeof(rep));
	*node_id = rep.node_id;
	return RSM_SUCCESS;
}

static void
atfork_prepare(void)
{
	pthread_mutex_lock(&link_st.mtx);
	rsm_handles_atfork_prepare();
}

static void
atfork_parent(void)
{
	rsm_handles_atfork_parent();
	pthread_mutex_unlock(&link_st.mtx);
}

/*
 * The child shares the parent's socket but must not use it: it starts with
 * no link, and every handle it inherited belongs to the parent's epoch,
 * which is over for the child.
 */
static void
atfork_child(void)
{
	uint64_t old = link_st.epoch;

	rsm_handles_atfork_child();
	pthread_mutex_init(&link_st.mtx, NULL);
	if (link_st.fd >= 0)
		close(link_st.fd);
	if (link_st.death_fd >= 0)
		close(link_st.death_fd);
	link_st.fd = -1;
	link_st.death_fd = -1;
	link_st.pending = NULL;
	link_st.dead_upto = old;
	rsm_imports_link_died(old, 0);
}

static void
atfork_install(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* Connect with link_st.mtx held. */
static int
link_connect_locked(void)
{
	struct sockaddr_un sa;
	struct timeval tv = { 2, 0 }, zero = { 0, 0 };
	const char *path = getenv(RSM_SOCKET_ENV);
	struct rx_arg *ra;
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	uint32_t node_id = 0;
	int fd, rc, dfd;

	pthread_once(&atfork_once, atfork_install);
	if (path == NULL || *path == '\0')
		path = RSM_DEFAULT_SOCKET;
	if (strlen(path) >= sizeof(sa.sun_path))
		return RSMERR_CTLR_NOT_PRESENT;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return RSMERR_INSUFFICIENT_RESOURCES;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return RSMERR_CTLR_NOT_PRESENT;
	}
	/* A daemon that accepts but never answers must not hang us. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if ((rc = hello(fd, &node_id)) != RSM_SUCCESS) {
		close(fd);
		return rc;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof(zero));
	dfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ra = malloc(sizeof(*ra));
	if (dfd < 0 || ra == NULL) {
		if (dfd >= 0)
			close(dfd);
		free(ra);
		close(fd);
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	link_st.epoch++;
	ra->fd = fd;
	ra->epoch = link_st.epoch;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* Signals are the application's business, not the receiver's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, &attr, receiver, ra);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		link_st.dead_upto = link_st.epoch;
		free(ra);
		close(dfd);
		close(fd);
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	link_st.fd = fd;
	link_st.node_id = node_id;
	link_st.death_fd = dfd;
	return RSM_SUCCESS;
}

int
rsm_link_up(uint64_t *epoch, uint32_t *node_id)
{
	int rc = RSM_SUCCESS;

	pthread_mutex_lock(&link_st.mtx);
	if (link_st.fd < 0)
		rc = link_connect_locked();
	if (rc == RSM_SUCCESS) {
		if (epoch != NULL)
			*epoch = link_st.epoch;
		if (node_id != NULL)
			*node_id = link_st.node_id;
	}
	pthread_mutex_unlock(&link_st.mtx);
	return rc;
}

int
rsm_epoch_live(uint64_t epoch)
{
	int live;

	pthread_mutex_lock(&link_st.mtx);
	live = link_st.fd >= 0 && epoch == link_st.epoch &&
	    epoch > link_st.dead_upto;
	pthread_mutex_unlock(&link_st.mtx);
	return live;
}

int
rsm_link_death_fd(uint64_t epoch)
{
	int fd = -1;

	pthread_mutex_lock(&link_st.mtx);
	if (link_st.fd >= 0 && epoch == link_st.epoch && link_st.death_fd >= 0)
		fd = fcntl(link_st.death_fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&link_st.mtx);
	return fd;
}

int
rsm_link_call(struct rsm_call *c)
{
	struct pending p;
	struct rsm_msg_hdr h;
	int fd, rc;

	c->reply_fd = -1;
	memset(&p, 0, sizeof(p));
	pthread_cond_init(&p.cv, NULL);
	p.call = c;
	pthread_mutex_lock(&link_st.mtx);
	if (c->epoch == 0) {
		if (link_st.fd < 0 &&
		    (rc = link_connect_locked()) != RSM_SUCCESS) {
			pthread_mutex_unlock(&link_st.mtx);
			pthread_cond_destroy(&p.cv);
			return rc;
		}
		c->epoch = link_st.epoch;
	} else if (link_st.fd < 0 || c->epoch != link_st.epoch) {
		pthread_mutex_unlock(&link_st.mtx);
		pthread_cond_destroy(&p.cv);
		return RSMERR_CONN_ABORTED;
	}
	fd = link_st.fd;
	p.id = link_st.next_id++;
	if (link_st.next_id == 0)
		link_st.next_id = 1;
	p.next = link_st.pending;
	link_st.pending = &p;
	/*
	 * Send under the lock: SEQPACKET sends are atomic anyway, and this
	 * keeps the descriptor from being closed under us by a fork or death.
	 */
	rsm_msg_hdr_init(&h, c->type, 0, 0, p.id, c->req_len);
	if (rsm_msg_send(fd, &h, c->req, c->req_len, c->req_fd) != 0) {
		if (!p.done)
			pending_remove(&p);
		pthread_mutex_unlock(&link_st.mtx);
		pthread_cond_destroy(&p.cv);
		return RSMERR_CONN_ABORTED;
	}
	while (!p.done)
		pthread_cond_wait(&p.cv, &link_st.mtx);
	pthread_mutex_unlock(&link_st.mtx);
	pthread_cond_destroy(&p.cv);
	return (int)p.status;
}
