/*
 * daemon_link.c - the process's one connection to rsmd.
 *
 * Opened lazily by the first call that needs the daemon: connect, HELLO,
 * then a receiver thread.  Each successful connect starts a new epoch;
 * handles remember the epoch they were made in, so when the daemon goes
 * away every handle of that epoch is stale at once.
 *
 * Reading the socket is a role held by one thread at a time (the
 * "reader"): whoever holds it reads packets, checks each with
 * rsm_msg_check(), completes the waiting request with the same id and type
 * (handing a stream's RSM_MSGF_MORE replies to its collector first) and runs
 * notifications (REVOKED, EVENT, REBOUND) in the order they arrive.  A
 * caller that sends a request takes the role when nobody holds it, so in
 * the common case it reads its own reply: one wake-up per request instead
 * of waking a receiver thread that then wakes the caller.  A caller whose
 * reply has come hands the role to the oldest caller still waiting (its
 * reply is the next the daemon sends) or, when none waits, back to the
 * receiver thread.
 *
 * The receiver thread watches the socket in one of two ways.  Idle, it
 * sleeps in epoll_wait on the socket registered EPOLLIN|EPOLLONESHOT
 * ("armed"), so a notification wakes it at once and an idle process costs
 * nothing.  A caller taking the role from an idle link disarms the socket,
 * so replies read by callers do not wake the receiver, and kicks the
 * receiver (an eventfd) into its busy way: it sleeps LINK_BUSY_MS at a
 * time, and whenever it wakes with nobody holding the role it reads what
 * is queued (a notification, or the reply to a post, waits at most that
 * long while callers come and go).  After a whole period in which no
 * caller took the role it arms the socket again and sleeps until woken.
 * So a busy process makes no epoll_ctl per request and its receiver does
 * not wake for the replies of posts, which callers read with their own.
 * The receiver reads only what is queued (poll with no timeout before
 * each recv) and never blocks holding the role.  So at most one thread is
 * ever in recv on the socket, and nobody can sleep on a packet another
 * thread already took.
 *
 * A request whose answer nobody needs (a disconnect) is posted: sent
 * flagged RSM_MSGF_POSTED, without a waiter, and the daemon sends no reply
 * (rsm_link_post).  A reader takes what is queued in one system call
 * (read_one).
 *
 * Deaths: whoever sees EOF, a protocol violation, or a send fail because
 * the peer is gone declares the link dead at once: every pending request
 * is answered RSMERR_CONN_ABORTED, the socket is shut down (which also
 * ends a recv another thread may be blocked in), handles of the epoch go
 * stale and the death eventfd fires; the receiver also watches that
 * eventfd, so it wakes and exits.  The socket and the epoll set are closed
 * when the last user of the link (receiver, callers inside a request) lets
 * go of it.
 */
#include "rsm_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* Packets one read takes when they are queued (read_one). */
#define LINK_BATCH	4

/* epoll_event.data of the three descriptors in a link's epoll set. */
#define EV_SOCK		0u
#define EV_DEATH	1u
#define EV_KICK		2u

/*
 * While callers are using the link, the receiver looks at it this often
 * (ms); a whole period with no caller puts it back to sleep on the socket.
 */
#define LINK_BUSY_MS	4
/*
 * Calls that find the receiver asleep on the socket before it is kicked
 * into its busy way: a few calls now and then, or calls between events
 * (each of which wakes the receiver anyway), keep it asleep.
 */
#define LINK_KICK_TAKES	8

struct link {
	struct link	*next;		/* link_st.links */
	int		 fd;		/* the socket, open until freed */
	int		 epfd;		/* the receiver's epoll set */
	int		 death_fd;	/* eventfd written at death; -1 after */
	int		 rx_death_fd;	/* the receiver's dup of it, in epfd */
	int		 kick_fd;	/* eventfd: wakes the receiver to busy */
	uint64_t	 epoch;
	unsigned	 refs;		/* receiver + callers in a request */
	int		 reader;	/* the role is held (or handed on) */
	int		 armed;		/* fd may be armed in epfd */
	uint64_t	 takes;		/* callers that took the role */
	int		 rx_asleep;	/* the receiver sleeps on the socket */
	unsigned	 sleepy_takes;	/* takes since it fell asleep */
	_Atomic int	 dead;		/* set under link_st.mtx */
	/* Only the reader touches these: one batch per link is enough. */
	union {
		unsigned char b[RSM_MSG_MAX];
		uint64_t align;
	} buf[LINK_BATCH];
};

struct pending {
	struct pending	*next;
	struct link	*link;
	uint64_t	 id;
	pthread_cond_t	 cv;
	int		 done;
	int		 lead;		/* the reader role is ours */
	struct rsm_call	*call;
	uint32_t	 status;
};

/* What is left to do, outside link_st.mtx, after a link was declared dead. */
struct death {
	int		 due;	/* set when a death awaits its wake-ups */
	uint64_t	 epoch;
	int		 dfd;
};

static struct {
	pthread_mutex_t	 mtx;
	struct link	*cur;		/* NULL: down */
	struct link	*links;		/* every link not freed yet */
	uint64_t	 epoch;		/* epoch of the current (or last) link */
	uint64_t	 dead_upto;	/* every epoch <= this is over */
	uint32_t	 node_id;
	uint64_t	 next_id;
	struct pending	*pending;	/* newest first */
	unsigned	 watchers;	/* event waits and poll fds (rsm_link_watch) */
} link_st = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.next_id = 1,
};

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

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

/* Free a link nobody uses any more (lock held). */
static void
link_unref_locked(struct link *l)
{
	struct link **lp;

	if (--l->refs > 0)
		return;
	for (lp = &link_st.links; *lp != NULL; lp = &(*lp)->next) {
		if (*lp == l) {
			*lp = l->next;
			break;
		}
	}
	close(l->fd);
	close(l->epfd);
	close(l->rx_death_fd);
	close(l->kick_fd);
	if (l->death_fd >= 0)
		close(l->death_fd);
	free(l);
}

/*
 * Declare link l dead (lock held): fail its requests, make it unusable for
 * new ones.  The rest is link_dead_finish(), without the lock.  Only the
 * first call for a link does anything.
 */
static void
link_kill_locked(struct link *l, struct death *d)
{
	struct pending **pp, *p;

	if (atomic_load(&l->dead))
		return;
	atomic_store(&l->dead, 1);
	if (link_st.cur == l)
		link_st.cur = NULL;
	if (link_st.dead_upto < l->epoch)
		link_st.dead_upto = l->epoch;
	/* Ends a recv blocked in another thread; tells the daemon at once. */
	(void)shutdown(l->fd, SHUT_RDWR);
	pp = &link_st.pending;
	while ((p = *pp) != NULL) {
		if (p->link != l) {
			pp = &p->next;
			continue;
		}
		*pp = p->next;
		p->status = RSMERR_CONN_ABORTED;
		p->done = 1;
		pthread_cond_signal(&p->cv);
	}
	d->due = 1;
	d->epoch = l->epoch;
	d->dfd = l->death_fd;
	l->death_fd = -1;
}

/* Handles of the dead epoch go stale, then its waiters are woken. */
static void
link_dead_finish(struct death *d)
{
	uint64_t one = 1;

	if (!d->due)
		return;
	rsm_handles_lock();
	rsm_imports_link_died(d->epoch, 1);
	rsm_handles_unlock();
	if (d->dfd >= 0) {
		/* Waiters and the receiver hold dups of this eventfd. */
		(void)!write(d->dfd, &one, sizeof(one));
		close(d->dfd);
	}
	d->due = 0;
}

/* Watch the socket again (lock held); -1 if it cannot be watched. */
static int
arm_locked(struct link *l)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLONESHOT,
		.data.u32 = EV_SOCK,
	};

	if (l->armed)
		return 0;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->fd, &ev) != 0)
		return -1;
	/* Wakes the receiver at once if a packet is already queued. */
	l->armed = 1;
	return 0;
}

/*
 * Take the reader role for a caller (lock held, role free).  On an armed
 * socket this disarms it, so that the replies the caller reads do not
 * wake the receiver; after LINK_KICK_TAKES such calls a receiver asleep
 * on the socket is kicked into its busy way, in which it sleeps with a
 * timeout instead.  On a busy link it costs no system call.
 */
static void
role_take_locked(struct link *l)
{
	/* ONESHOT without EPOLLIN: HUP/ERR wake the receiver at most once. */
	struct epoll_event ev = { .events = EPOLLONESHOT, .data.u32 = EV_SOCK };
	uint64_t one = 1;

	l->reader = 1;
	l->takes++;
	if (l->armed) {
		/* A failure only costs the receiver a useless wake-up. */
		(void)epoll_ctl(l->epfd, EPOLL_CTL_MOD, l->fd, &ev);
		l->armed = 0;
		/*
		 * Else the release re-arms.  Someone waiting for events needs
		 * the socket armed anyway; a full eventfd is already a kick.
		 */
		if (l->rx_asleep && link_st.watchers == 0 &&
		    ++l->sleepy_takes >= LINK_KICK_TAKES)
			(void)!write(l->kick_fd, &one, sizeof(one));
	}
}

/*
 * Give the reader role up (lock held): to the oldest caller still waiting
 * for a reply on this link, else back to the receiver.  The socket is
 * armed again when someone waits for an event (link_st.watchers: the
 * receiver must hand it over at once) or when the receiver sleeps on the
 * socket; otherwise the busy receiver reads what comes within
 * LINK_BUSY_MS.  A dead link needs no reader: its receiver is woken by
 * the death eventfd.
 */
static void
role_release_locked(struct link *l, struct death *d)
{
	struct pending *p, *oldest = NULL;

	if (!atomic_load(&l->dead)) {
		for (p = link_st.pending; p != NULL; p = p->next)
			if (p->link == l)
				oldest = p;
	}
	if (oldest != NULL) {
		oldest->lead = 1;
		pthread_cond_signal(&oldest->cv);
		return;
	}
	l->reader = 0;
	if (atomic_load(&l->dead) ||
	    (link_st.watchers == 0 && !l->rx_asleep))
		return;
	if (arm_locked(l) != 0)
		/* Nobody would read notifications: better dead than deaf. */
		link_kill_locked(l, d);
}

/*
 * A reply: complete the request with its id, or, a MORE reply of a
 * stream, hand it to the request's collector.  *done is the request it
 * completed (only compared, never dereferenced), or NULL.  Returns -1
 * when the daemon broke the protocol: a reply of another type than its
 * request's, or a MORE reply to a request that takes one reply.
 */
static int
handle_reply(struct link *l, const struct rsm_msg_hdr *h, const void *payload,
    size_t plen, int rfd, struct pending **done)
{
	struct pending *p;

	*done = NULL;
	pthread_mutex_lock(&link_st.mtx);
	for (p = link_st.pending; p != NULL; p = p->next)
		if (p->id == h->id && p->link == l)
			break;
	if (p == NULL) {
		/*
		 * A reply nobody waits for: a deferred answer to a post would
		 * be one (rsm_link_post); it says nothing anyone needs.
		 */
		pthread_mutex_unlock(&link_st.mtx);
		if (rfd >= 0)
			close(rfd);
		return 0;
	}
	if (h->type != p->call->type ||
	    ((h->flags & RSM_MSGF_MORE) && p->call->more == NULL)) {
		pthread_mutex_unlock(&link_st.mtx);
		if (rfd >= 0)
			close(rfd);
		return -1;
	}
	if (h->flags & RSM_MSGF_MORE) {
		/* rsm_msg_check(): a MORE reply succeeded and has no fd. */
		p->call->more(p->call->more_arg, payload, plen);
		pthread_mutex_unlock(&link_st.mtx);
		if (rfd >= 0)
			close(rfd);
		return 0;
	}
	pending_remove(p);
	p->status = h->status;
	if (h->status == RSM_SUCCESS) {
		struct rsm_call *c = p->call;

		c->reply_len = plen;
		if (plen > c->reply_cap)
			plen = c->reply_cap;
		if (c->reply != NULL)
			memcpy(c->reply, payload, plen);
		c->reply_fd = rfd;
		rfd = -1;
		/*
		 * Register the daemon handle in the slot before the reader
		 * reads any later notification about it.
		 */
		if (c->slot != NULL && plen >= sizeof(struct rsm_msg_handle)) {
			uint64_t dh;

			memcpy(&dh, payload, sizeof(dh));
			rsm_handles_lock();
			c->slot->dh = dh;
			c->slot->epoch = l->epoch;
			rsm_handles_unlock();
		}
	}
	p->done = 1;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&link_st.mtx);
	if (rfd >= 0)
		close(rfd);
	*done = p;
	return 0;
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

/*
 * Dispatch one packet read by the reader: 1 if it completed `self`, 0
 * otherwise, -1 if the link is broken (EOF, or a daemon that breaks the
 * protocol: treated as dead).
 */
static int
dispatch_one(struct link *l, struct rsm_msg_in *in,
    const struct pending *self)
{
	struct rsm_msg_hdr h;
	const unsigned char *b = in->buf;

	if (in->len <= 0 || in->truncated ||
	    rsm_msg_check(b, (size_t)in->len, in->nfds, 1) != 0) {
		if (in->fd >= 0)
			close(in->fd);
		return -1;
	}
	/* Whatever was still queued when the link died belongs to no one. */
	if (atomic_load(&l->dead)) {
		if (in->fd >= 0)
			close(in->fd);
		return 0;
	}
	memcpy(&h, b, sizeof(h));
	if (h.flags & RSM_MSGF_REPLY) {
		struct pending *done;

		if (handle_reply(l, &h, b + sizeof(h),
		    (size_t)in->len - sizeof(h), in->fd, &done) != 0)
			return -1;
		return done == self && self != NULL;
	}
	handle_notification(l->epoch, &h, b + sizeof(h), in->fd);
	return 0;
}

/*
 * Read and dispatch the next packet, waiting for it, and those queued
 * behind it (up to LINK_BATCH, in one system call); the caller holds the
 * reader role.
 * Returns 1 if they completed `self`, 0 otherwise, -1 if the link is
 * broken (error, EOF, or a daemon that breaks the protocol).
 */
static int
read_one(struct link *l, const struct pending *self)
{
	struct rsm_msg_in in[LINK_BATCH];
	int i, n, r, done = 0, broken = 0;

	for (i = 0; i < LINK_BATCH; i++)
		in[i].buf = l->buf[i].b;
	n = rsm_msg_recv_many(l->fd, in, LINK_BATCH, sizeof(l->buf[0].b), 1);
	if (n <= 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (broken) {
			if (in[i].fd >= 0)
				close(in[i].fd);
			continue;
		}
		if ((r = dispatch_one(l, &in[i], self)) < 0)
			broken = 1;
		else if (r > 0)
			done = 1;
	}
	return broken ? -1 : done;
}

/*
 * The receiver, holding the role, reads what is queued and no more: it
 * must never block in recv, or callers could not take the role.
 */
static int
drain(struct link *l)
{
	struct pollfd pfd;

	while (!atomic_load(&l->dead)) {
		pfd.fd = l->fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) <= 0)
			return 0;
		if (read_one(l, NULL) < 0)
			return -1;
	}
	return 0;
}

static void *
receiver(void *arg)
{
	struct link *l = arg;
	struct epoll_event ev[3];
	struct death d;
	uint64_t seen = 0, kicks;
	int i, n, err, busy, timeout = -1;

	for (;;) {
		n = epoll_wait(l->epfd, ev, 3, timeout);
		err = n < 0 ? errno : 0;
		memset(&d, 0, sizeof(d));
		for (i = 0; i < n; i++)
			if (ev[i].data.u32 == EV_KICK)
				(void)!read(l->kick_fd, &kicks, sizeof(kicks));
		pthread_mutex_lock(&link_st.mtx);
		l->rx_asleep = 0;
		l->sleepy_takes = 0;
		if (n < 0 && err != EINTR) {
			/* Cannot watch the socket any more: give it up. */
			link_kill_locked(l, &d);
		}
		for (i = 0; i < n; i++)
			if (ev[i].data.u32 == EV_SOCK)
				l->armed = 0;	/* the one-shot is spent */
		busy = l->takes != seen;
		seen = l->takes;
		/* Something may be queued: a packet woke us, or callers came. */
		if (!atomic_load(&l->dead) && !l->reader && (n > 0 || busy)) {
			l->reader = 1;
			pthread_mutex_unlock(&link_st.mtx);
			i = drain(l);
			pthread_mutex_lock(&link_st.mtx);
			if (i != 0)
				link_kill_locked(l, &d);
			role_release_locked(l, &d);
		}
		if (atomic_load(&l->dead)) {
			pthread_mutex_unlock(&link_st.mtx);
			break;
		}
		/* A period with no caller: sleep on the socket again. */
		if (n == 0 && !busy && arm_locked(l) != 0)
			link_kill_locked(l, &d);
		if (l->armed) {
			l->rx_asleep = 1;
			timeout = -1;
		} else
			timeout = LINK_BUSY_MS;
		pthread_mutex_unlock(&link_st.mtx);
		link_dead_finish(&d);
	}
	link_dead_finish(&d);
	pthread_mutex_lock(&link_st.mtx);
	link_unref_locked(l);
	pthread_mutex_unlock(&link_st.mtx);
	return NULL;
}

/*
 * Someone starts (delta 1) or stops (-1) waiting for events: a signal
 * wait, or a poll descriptor handed out.  Events arrive as notifications,
 * so while anyone waits the socket is armed whenever nobody holds the
 * reader role, and an event wakes the receiver at once instead of within
 * LINK_BUSY_MS.
 */
void
rsm_link_watch(int delta)
{
	struct death d = { 0, 0, -1 };
	struct link *l;

	pthread_mutex_lock(&link_st.mtx);
	if (delta > 0)
		link_st.watchers++;
	else if (link_st.watchers > 0)
		link_st.watchers--;
	l = link_st.cur;
	if (delta > 0 && l != NULL && !atomic_load(&l->dead) && !l->reader &&
	    arm_locked(l) != 0)
		link_kill_locked(l, &d);
	pthread_mutex_unlock(&link_st.mtx);
	link_dead_finish(&d);
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
 * The child shares the parent's sockets but must not use them: it starts
 * with no link, and every handle it inherited belongs to the parent's
 * epoch, which is over for the child.  Only close: a shutdown would cut
 * the parent's link too.  The threads that used these links (receivers,
 * readers) do not exist in the child.
 */
static void
atfork_child(void)
{
	uint64_t old = link_st.epoch;
	struct link *l;

	rsm_handles_atfork_child();
	pthread_mutex_init(&link_st.mtx, NULL);
	while ((l = link_st.links) != NULL) {
		link_st.links = l->next;
		close(l->fd);
		close(l->epfd);
		close(l->rx_death_fd);
		close(l->kick_fd);
		if (l->death_fd >= 0)
			close(l->death_fd);
		free(l);
	}
	link_st.cur = NULL;
	link_st.pending = NULL;
	/* The parent's waits and poll descriptors are not the child's. */
	link_st.watchers = 0;
	link_st.dead_upto = old;
	rsm_imports_link_died(old, 0);
}

static void
atfork_install(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

/* The link's descriptors besides the socket; 0 on success. */
static int
link_fds(struct link *l)
{
	struct epoll_event sev = {
		.events = EPOLLIN | EPOLLONESHOT,
		.data.u32 = EV_SOCK,
	};
	struct epoll_event dev = { .events = EPOLLIN, .data.u32 = EV_DEATH };
	struct epoll_event kev = { .events = EPOLLIN, .data.u32 = EV_KICK };

	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->death_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	l->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->death_fd >= 0)
		l->rx_death_fd = fcntl(l->death_fd, F_DUPFD_CLOEXEC, 0);
	if (l->epfd < 0 || l->death_fd < 0 || l->rx_death_fd < 0 ||
	    l->kick_fd < 0)
		return -1;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->fd, &sev) != 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->rx_death_fd, &dev) != 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->kick_fd, &kev) != 0)
		return -1;
	l->armed = 1;
	l->rx_asleep = 1;	/* the receiver starts asleep on the socket */
	return 0;
}

/* Connect with link_st.mtx held. */
static int
link_connect_locked(void)
{
	struct sockaddr_un sa;
	struct timeval tv = { 2, 0 }, zero = { 0, 0 };
	const char *path = getenv(RSM_SOCKET_ENV);
	struct link *l;
	pthread_attr_t attr;
	pthread_t tid;
	sigset_t all, old;
	uint32_t node_id = 0;
	int fd, rc;

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
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		close(fd);
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	l->fd = fd;
	l->epfd = l->death_fd = l->rx_death_fd = l->kick_fd = -1;
	if (link_fds(l) != 0)
		goto fail;
	link_st.epoch++;
	l->epoch = link_st.epoch;
	l->refs = 1;		/* the receiver's */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* Signals are the application's business, not the receiver's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&tid, &attr, receiver, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		link_st.dead_upto = link_st.epoch;
		goto fail;
	}
	l->next = link_st.links;
	link_st.links = l;
	link_st.cur = l;
	link_st.node_id = node_id;
	return RSM_SUCCESS;
fail:
	close(fd);
	if (l->epfd >= 0)
		close(l->epfd);
	if (l->death_fd >= 0)
		close(l->death_fd);
	if (l->rx_death_fd >= 0)
		close(l->rx_death_fd);
	if (l->kick_fd >= 0)
		close(l->kick_fd);
	free(l);
	return RSMERR_INSUFFICIENT_RESOURCES;
}

int
rsm_link_up(uint64_t *epoch, uint32_t *node_id)
{
	int rc = RSM_SUCCESS;

	pthread_mutex_lock(&link_st.mtx);
	if (link_st.cur == NULL)
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
	live = link_st.cur != NULL && epoch == link_st.cur->epoch &&
	    epoch > link_st.dead_upto;
	pthread_mutex_unlock(&link_st.mtx);
	return live;
}

int
rsm_link_death_fd(uint64_t epoch)
{
	struct link *l;
	int fd = -1;

	pthread_mutex_lock(&link_st.mtx);
	l = link_st.cur;
	if (l != NULL && epoch == l->epoch && l->death_fd >= 0)
		fd = fcntl(l->death_fd, F_DUPFD_CLOEXEC, 0);
	pthread_mutex_unlock(&link_st.mtx);
	return fd;
}

/* The send failed because nobody is at the other end any more. */
static int
peer_gone(int err)
{
	return err == EPIPE || err == ECONNRESET || err == ENOTCONN ||
	    err == ECONNREFUSED;
}

/*
 * Send a request nobody waits for, flagged RSM_MSGF_POSTED: the daemon
 * serves it in order with the process's other requests and answers
 * nothing, so there is no reply to read and nothing to wake for.
 */
int
rsm_link_post(struct rsm_call *c)
{
	struct rsm_msg_hdr h;
	struct death d = { 0, 0, -1 };
	struct link *l;
	int rc = RSM_SUCCESS;

	c->reply_fd = -1;
	pthread_mutex_lock(&link_st.mtx);
	l = link_st.cur;
	if (l == NULL || c->epoch == 0 || c->epoch != l->epoch) {
		pthread_mutex_unlock(&link_st.mtx);
		return RSMERR_CONN_ABORTED;
	}
	rsm_msg_hdr_init(&h, c->type, RSM_MSGF_POSTED, 0, link_st.next_id++,
	    c->req_len);
	if (link_st.next_id == 0)
		link_st.next_id = 1;
	if (rsm_msg_send(l->fd, &h, c->req, c->req_len, c->req_fd) != 0) {
		if (peer_gone(errno))
			link_kill_locked(l, &d);
		rc = RSMERR_CONN_ABORTED;
	}
	pthread_mutex_unlock(&link_st.mtx);
	link_dead_finish(&d);
	return rc;
}

int
rsm_link_call(struct rsm_call *c)
{
	struct pending p;
	struct rsm_msg_hdr h;
	struct death d = { 0, 0, -1 };
	struct link *l;
	int rc;

	c->reply_fd = -1;
	c->reply_len = 0;
	memset(&p, 0, sizeof(p));
	pthread_cond_init(&p.cv, NULL);
	p.call = c;
	pthread_mutex_lock(&link_st.mtx);
	if (c->epoch == 0) {
		if (link_st.cur == NULL &&
		    (rc = link_connect_locked()) != RSM_SUCCESS) {
			pthread_mutex_unlock(&link_st.mtx);
			pthread_cond_destroy(&p.cv);
			return rc;
		}
		c->epoch = link_st.cur->epoch;
	} else if (link_st.cur == NULL || c->epoch != link_st.cur->epoch) {
		pthread_mutex_unlock(&link_st.mtx);
		pthread_cond_destroy(&p.cv);
		return RSMERR_CONN_ABORTED;
	}
	l = link_st.cur;
	l->refs++;
	p.link = l;
	p.id = link_st.next_id++;
	if (link_st.next_id == 0)
		link_st.next_id = 1;
	p.next = link_st.pending;
	link_st.pending = &p;
	/* Before the send: the reply must not wake the receiver. */
	if (!l->reader) {
		role_take_locked(l);
		p.lead = 1;
	}
	/*
	 * Send under the lock: SEQPACKET sends are atomic anyway, and this
	 * keeps the link from being declared dead between check and send.
	 */
	rsm_msg_hdr_init(&h, c->type, 0, 0, p.id, c->req_len);
	if (rsm_msg_send(l->fd, &h, c->req, c->req_len, c->req_fd) != 0) {
		/*
		 * The daemon is gone: say so now, not when the receiver gets
		 * to the EOF, so that the next call reconnects (and finds no
		 * daemon) instead of sending on the dead socket again.
		 */
		if (peer_gone(errno))
			link_kill_locked(l, &d);
		if (!p.done)
			pending_remove(&p);
		p.done = 1;
		p.status = RSMERR_CONN_ABORTED;
	}
	for (;;) {
		if (p.lead) {
			int broken = 0;

			/* Our request is still open: read until it is done. */
			if (!p.done && !atomic_load(&l->dead)) {
				pthread_mutex_unlock(&link_st.mtx);
				while (!atomic_load(&l->dead)) {
					int r = read_one(l, &p);

					if (r != 0) {
						broken = r < 0;
						break;
					}
				}
				pthread_mutex_lock(&link_st.mtx);
			}
			if (broken)
				link_kill_locked(l, &d);
			p.lead = 0;
			role_release_locked(l, &d);
			/* Completed by us, or failed by the link's death. */
			continue;
		}
		if (p.done)
			break;
		if (!l->reader && !atomic_load(&l->dead)) {
			role_take_locked(l);
			p.lead = 1;
			continue;
		}
		pthread_cond_wait(&p.cv, &link_st.mtx);
	}
	link_unref_locked(l);
	pthread_mutex_unlock(&link_st.mtx);
	link_dead_finish(&d);
	pthread_cond_destroy(&p.cv);
	return (int)p.status;
}
