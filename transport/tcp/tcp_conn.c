/*
 * tcp_conn.c - one data connection of the tcp transport: connect and
 * present the token, post requests, and read replies straight into the
 * caller's memory.  See tcp.h for the model.
 */
#include "tcp/tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsm_busypoll.h"
#include "rsm_clock.h"
#include "rsm_data_seal.h"
#include "rsm_forkgen.h"
#include "rsm_iov.h"

/* The stream is gone: every outstanding request fails with it. */
static int
conn_fail(struct tcp_conn *c, int err)
{
	if (c->err == 0)
		c->err = err;
	while (c->n > 0) {
		struct tcp_pend *p = &c->ring[c->head];

		if (p->wait != NULL && p->wait->status == RSM_SUCCESS) {
			p->wait->status = c->err;
			p->wait->done = p->entry_base;
		}
		c->head = (c->head + 1) % TCP_WINDOW;
		c->n--;
	}
	c->rh_got = 0;
	c->pay_got = 0;
	/* Wake nothing and keep the descriptor: close() is the owner's. */
	(void)shutdown(c->fd, SHUT_RDWR);
	return c->err;
}

static void
retire(struct tcp_conn *c)
{
	struct tcp_pend *p = &c->ring[c->head];

	if (c->rh.status != RSM_SUCCESS) {
		if (p->wait != NULL) {
			if (p->wait->status == RSM_SUCCESS) {
				p->wait->status = (int)c->rh.status;
				p->wait->done = p->entry_base +
				    (p->part ? 0 : c->rh.count);
			}
		} else if (c->first_err == RSM_SUCCESS) {
			c->first_err = (int)c->rh.status;
		}
	}
	c->head = (c->head + 1) % TCP_WINDOW;
	c->n--;
	c->rh_got = 0;
	c->pay_got = 0;
	c->fresh = 1;
}

/* The head's destination entries, limited to `len` bytes. */
static int
dst_iov(const struct tcp_pend *p, size_t len, struct iovec *iov)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < p->ndst && len > 0; i++) {
		size_t l = p->dst[i].iov_len < len ? p->dst[i].iov_len : len;

		iov[n].iov_base = p->dst[i].iov_base;
		iov[n++].iov_len = l;
		len -= l;
	}
	return n;
}

/* A whole header is in: does it answer the head request? */
static int
header_ok(struct tcp_conn *c)
{
	const struct tcp_pend *p = &c->ring[c->head];
	uint64_t sum = 0;
	uint32_t i;

	if (rsm_data_check_reply(&c->rh, p->op, p->id, p->want_len,
	    p->want_count) != 0)
		return 0;
	if (p->op == RSM_DOP_GETV && c->rh.status != RSM_SUCCESS) {
		/* A failed GETV carries exactly the entries it did. */
		for (i = 0; i < c->rh.count && i < p->ndst; i++)
			sum += p->dst[i].iov_len;
		return sum == c->rh.len;
	}
	return 1;
}

/* Nothing is outstanding: only EOF or garbage can be waiting. */
static int
check_idle(struct tcp_conn *c)
{
	char b;
	ssize_t n;

	if (c->seal != NULL && (rsm_seal_ready(c->seal) ||
	    rsm_seal_partial(c->seal)))
		return conn_fail(c, RSMERR_CONN_ABORTED);
	n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	/* EOF, a reset, or bytes nobody asked for. */
	return conn_fail(c, RSMERR_CONN_ABORTED);
}

/*
 * recvmsg() of the frame stream: straight from the socket, or on a sealed
 * connection out of the records received, reading the socket into the
 * record buffer only when no whole record is left.  A record that fails
 * its tag reads as EBADMSG.
 */
static ssize_t
rx_recv(struct tcp_conn *c, struct msghdr *mh, int flags)
{
	ssize_t got, n;
	size_t room;
	void *p;

	if (c->seal == NULL)
		return recvmsg(c->fd, mh, flags);
	for (;;) {
		got = rsm_seal_take(c->seal, mh->msg_iov, (int)mh->msg_iovlen);
		if (got > 0)
			return got;
		if (got < 0) {
			errno = EBADMSG;
			return -1;
		}
		p = rsm_seal_in_space(c->seal, &room);
		if ((n = recv(c->fd, p, room, flags)) <= 0)
			return n;
		rsm_seal_in_got(c->seal, (size_t)n);
	}
}

/* The process's memory of contention, for every connection's polls. */
static struct rsm_busypoll tcp_busypoll;

/*
 * RSM_BUSY_POLL_US: how long a wait for a reply polls the socket before
 * it sleeps (default 50 us; 0: never).  Read once.
 */
static uint64_t
tcp_spin_ns(void)
{
	static _Atomic int64_t ns = -1;
	int64_t v = atomic_load_explicit(&ns, memory_order_relaxed);

	if (v < 0) {
		const char *e = getenv("RSM_BUSY_POLL_US");
		char *end;
		long us = TCP_BUSY_POLL_US;

		if (e != NULL && *e != '\0') {
			errno = 0;
			us = strtol(e, &end, 10);
			if (errno != 0 || *end != '\0' || us < 0 ||
			    us > TCP_BUSY_POLL_MAX_US)
				us = TCP_BUSY_POLL_US;
		}
		v = (int64_t)us * 1000;
		atomic_store_explicit(&ns, v, memory_order_relaxed);
	}
	return (uint64_t)v;
}

/*
 * Read once.  block: wait (bounded by SO_RCVTIMEO) for bytes in the same
 * call.  Returns 0 (progress or, without block, nothing yet) or c->err.
 */
static int
rx_some(struct tcp_conn *c, int block)
{
	struct iovec iov[1 + RSM_DATA_VEC_MAX];
	struct tcp_pend *p;
	struct msghdr mh;
	ssize_t n;
	size_t take;
	uint64_t until = 0;
	int niov = 0, flags;

	if (c->err)
		return c->err;
	if (c->n == 0)
		return check_idle(c);
	p = &c->ring[c->head];
	if (c->rh_got < sizeof(c->rh)) {
		iov[niov].iov_base = (char *)&c->rh + c->rh_got;
		iov[niov++].iov_len = sizeof(c->rh) - c->rh_got;
		/*
		 * The last request outstanding: nothing can follow its reply
		 * in the stream, so read its data in the same call.
		 */
		if (c->n == 1)
			niov += dst_iov(p, SIZE_MAX, iov + niov);
	} else {
		niov = dst_iov(p, c->rh.len, iov);
		rsm_iov_skip(iov, &niov, c->pay_got);
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = (size_t)niov;
	/*
	 * A wait starts by polling the socket for a while (tcp_spin_ns()):
	 * a reply that comes within it costs no wake-up, which on a VM is
	 * most of a short round trip.
	 */
	flags = MSG_DONTWAIT;
	if (block && (tcp_spin_ns() == 0 ||
	    !rsm_busypoll_allowed(&tcp_busypoll, rsm_now_ns())))
		flags = 0;
	else if (block)
		until = rsm_now_ns() + tcp_spin_ns();
	for (;;) {
		n = rx_recv(c, &mh, flags);
		if (n > 0)
			break;
		if (n == 0)
			return conn_fail(c, RSMERR_CONN_ABORTED);
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!block)
				return 0;
			/*
			 * Polling: go on, or block once the time is up or
			 * the CPU is wanted (the daemon may need this one).
			 */
			if (flags != 0) {
				if (rsm_now_ns() >= until ||
				    rsm_busypoll_turn(&tcp_busypoll))
					flags = 0;
				continue;
			}
		}
		/* Blocking, EAGAIN is SO_RCVTIMEO: no progress for too long. */
		return conn_fail(c, RSMERR_CONN_ABORTED);
	}
	if (c->rh_got < sizeof(c->rh)) {
		take = sizeof(c->rh) - c->rh_got;
		if ((size_t)n < take) {
			c->rh_got += (size_t)n;
			return 0;
		}
		c->rh_got = sizeof(c->rh);
		if (!header_ok(c) || (size_t)n - take > c->rh.len)
			return conn_fail(c, RSMERR_CONN_ABORTED);
		c->pay_got = (size_t)n - take;
	} else {
		c->pay_got += (size_t)n;
	}
	if (c->pay_got == c->rh.len)
		retire(c);
	return 0;
}

int
tcp_wait_until(struct tcp_conn *c, unsigned left)
{
	while (c->err == 0 && c->n > left)
		(void)rx_some(c, 1);
	return c->err;
}

int
tcp_poll_replies(struct tcp_conn *c)
{
	unsigned before;

	/* Stop when a read retires nothing: no busy loop on a slow reply. */
	do {
		before = c->n;
		if (rx_some(c, 0) != 0)
			return c->err;
	} while (c->n > 0 && c->n < before);
	return c->err;
}

/* Send all of iov, collecting replies while the socket is full. */
static int
tx_raw(struct tcp_conn *c, struct iovec *iov, int niov)
{
	struct msghdr mh;
	ssize_t n;

	while (niov > 0) {
		struct pollfd pfd = { c->fd, POLLOUT | POLLIN, 0 };
		int r;

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)niov;
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			rsm_iov_skip(iov, &niov, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return conn_fail(c, RSMERR_CONN_ABORTED);
		do {
			r = poll(&pfd, 1, TCP_STALL_MS);
		} while (r < 0 && errno == EINTR);
		if (r <= 0 || (pfd.revents & (POLLERR | POLLHUP)))
			return conn_fail(c, RSMERR_CONN_ABORTED);
		if ((pfd.revents & POLLIN) && rx_some(c, 0) != 0)
			return c->err;
	}
	return 0;
}

/* Send the frames of iov: as they are, or sealed record by record. */
static int
tx(struct tcp_conn *c, struct iovec *iov, int niov)
{
	struct iovec rec;
	size_t len;
	ssize_t n;

	if (c->seal == NULL)
		return tx_raw(c, iov, niov);
	while (niov > 0) {
		/* 0: only empty entries are left (the record before is out). */
		if ((n = rsm_seal_put(c->seal, iov, niov)) == 0)
			break;
		if (n < 0)
			return conn_fail(c, RSMERR_CONN_ABORTED);
		rsm_iov_skip(iov, &niov, (size_t)n);
		/* sendmsg takes no const: the record is only read. */
		rec.iov_base = (void *)(uintptr_t)rsm_seal_out(c->seal, &len);
		rec.iov_len = len;
		if (tx_raw(c, &rec, 1) != 0)
			return c->err;
		rsm_seal_sent(c->seal, len);
	}
	return 0;
}

int
tcp_post(struct tcp_conn *c, struct rsm_data_hdr *h,
    const struct rsm_data_vec *tab, uint32_t ntab, const struct iovec *pay,
    int npay, const struct tcp_pend *p)
{
	/* sendmsg's limit (IOV_MAX, 1024 on Linux) bounds RSM_DATA_PUTV_MAX. */
	struct iovec iov[2 + RSM_DATA_PUTV_MAX];
	int niov = 0, i;

	if (c->err)
		return c->err;
	if (c->n >= TCP_WINDOW && tcp_wait_until(c, TCP_WINDOW - 1) != 0)
		return c->err;
	h->id = c->next_id++;
	iov[niov].iov_base = h;
	iov[niov++].iov_len = sizeof(*h);
	if (ntab > 0) {
		iov[niov].iov_base = (void *)(uintptr_t)tab;
		iov[niov++].iov_len = ntab * sizeof(*tab);
	}
	for (i = 0; i < npay && niov < (int)(sizeof(iov) / sizeof(iov[0]));
	    i++)
		iov[niov++] = pay[i];
	if (tx(c, iov, niov) != 0)
		return c->err;
	/* In the ring only once sent: its reply cannot come before. */
	c->ring[(c->head + c->n) % TCP_WINDOW] = *p;
	c->ring[(c->head + c->n) % TCP_WINDOW].id = h->id;
	c->n++;
	return 0;
}

int
tcp_enter(struct tcp_conn *c)
{
	if (c == NULL)
		return RSMERR_CONN_ABORTED;
	/*
	 * A forked child shares the parent's stream: it must not touch it.
	 * Asked before the lock, which a parent thread may have held at the
	 * fork.
	 */
	if (rsm_forkgen_in_child(c->fork_gen))
		return RSMERR_CONN_ABORTED;
	pthread_mutex_lock(&c->mtx);
	if (c->err) {
		pthread_mutex_unlock(&c->mtx);
		return c->err;
	}
	return RSM_SUCCESS;
}

void
tcp_leave(struct tcp_conn *c)
{
	pthread_mutex_unlock(&c->mtx);
}

/* A slice of the connect's wait: how soon a cancel is seen. */
#define TCP_CANCEL_POLL_MS	20

/*
 * Non-blocking connect, bounded by TCP_CONNECT_MS, and given up as soon
 * as *cancel is set (the import was revoked: a node whose link is cut
 * answers no SYN, and the revocation must not wait for the bound).
 */
static int
dial(const struct rsm_wire_cap *cap, const _Atomic int *cancel)
{
	uint64_t end;
	struct sockaddr_storage ss;
	socklen_t sl;
	struct pollfd pfd;
	int fd, one = 1, err = 0, r;

	sl = (socklen_t)rsm_wire_sockaddr(cap->family, cap->addr, cap->port,
	    &ss);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd < 0)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&ss, sl) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLOUT;
	end = rsm_now_ms() + TCP_CONNECT_MS;
	do {
		if (cancel != NULL && atomic_load(cancel)) {
			r = 0;
			break;
		}
		r = poll(&pfd, 1, TCP_CANCEL_POLL_MS);
	} while ((r == 0 && rsm_now_ms() < end) || (r < 0 && errno == EINTR));
	sl = sizeof(err);
	if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) != 0 ||
	    err != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * From here on the socket blocks, bounded: a wait for a reply is one
 * recvmsg (no poll first), and TCP_STALL_MS without a byte ends it.
 */
static int
set_blocking(int fd)
{
	struct timeval tv = { TCP_STALL_MS / 1000, (TCP_STALL_MS % 1000) * 1000 };
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		return -1;
	return 0;
}

/*
 * The CHALLENGE the server sends first, within the socket's receive
 * timeout (TCP_STALL_MS); 0 when it is one.
 */
static int
read_challenge(int fd, struct rsm_data_challenge *chal)
{
	struct {
		struct rsm_data_hdr h;
		struct rsm_data_challenge c;
	} m;
	size_t got = 0;
	ssize_t n;

	_Static_assert(sizeof(m) == sizeof(m.h) + sizeof(m.c), "no padding");
	while (got < sizeof(m)) {
		n = recv(fd, (char *)&m + got, sizeof(m) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	if (rsm_data_check_challenge(&m.h) != 0 ||
	    rsm_data_check_challenge_body(&m.c) != 0)
		return -1;
	memcpy(chal, &m.c, sizeof(*chal));
	return 0;
}

int
tcp_conn_open(struct rsm_xport_seg *seg, const struct rsm_xport_target *t)
{
	struct rsm_data_challenge chal;
	struct rsm_data_hello_req hello;
	struct rsm_data_hello_reply rep;
	struct rsm_data_hdr h;
	struct tcp_wait w = { RSM_SUCCESS, 0 };
	struct tcp_pend p;
	struct iovec pay;
	struct tcp_conn *c;
	int fd;

	if (t == NULL || t->cap == NULL || t->size == 0 || t->cap->port == 0 ||
	    (t->cap->family != RSM_CAP_INET && t->cap->family != RSM_CAP_INET6))
		return RSMERR_BAD_ADDR;
	/* The data server is unreachable: the connection is as good as lost. */
	if ((fd = dial(t->cap, t->cancel)) < 0)
		return errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
		    errno == ENOMEM ? RSMERR_INSUFFICIENT_RESOURCES :
		    RSMERR_CONN_ABORTED;
	if (set_blocking(fd) != 0) {
		close(fd);
		return RSMERR_CONN_ABORTED;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return RSMERR_INSUFFICIENT_MEM;
	}
	pthread_mutex_init(&c->mtx, NULL);
	c->fd = fd;
	c->fork_gen = rsm_forkgen_arm();
	c->next_id = 1;

	/*
	 * The server's challenge first; the HELLO proves the token for it
	 * and for nothing else, so the token never crosses the wire.
	 */
	if (read_challenge(fd, &chal) != 0 ||
	    getrandom(hello.nonce, sizeof(hello.nonce), 0) !=
	    (ssize_t)sizeof(hello.nonce)) {
		tcp_conn_close(c);
		return RSMERR_CONN_ABORTED;
	}
	/* Sealed with a cipher this machine cannot do: say so, not "lost". */
	if (chal.cipher != RSM_DATA_CIPHER_NONE &&
	    !rsm_seal_cipher_usable(chal.cipher)) {
		tcp_conn_close(c);
		return RSMERR_UNSUPPORTED_OPERATION;
	}
	rsm_data_hello_prove_tcp(t->cap->token, &chal, &hello);
	rsm_data_hdr_init(&h, RSM_DOP_HELLO, 0, 0, 0, sizeof(hello), 0);
	memset(&p, 0, sizeof(p));
	p.op = RSM_DOP_HELLO;
	p.want_len = sizeof(rep);
	p.ndst = 1;
	p.dst[0].iov_base = &rep;
	p.dst[0].iov_len = sizeof(rep);
	p.wait = &w;
	pay.iov_base = &hello;
	pay.iov_len = sizeof(hello);
	if (tcp_post(c, &h, NULL, 0, &pay, 1, &p) == 0)
		(void)tcp_wait_until(c, 0);
	if (c->err == 0 && w.status == RSM_SUCCESS &&
	    (rep.size != t->size || (rep.granted & t->perm) != t->perm ||
	    rep.frame_max < TCP_CHUNK))
		w.status = RSMERR_CONN_ABORTED;
	if (c->err != 0 || w.status != RSM_SUCCESS) {
		int rc = c->err ? c->err : w.status;

		tcp_conn_close(c);
		/* The token was refused: whatever the reason, it is lost. */
		return rc == RSMERR_INSUFFICIENT_RESOURCES ? rc :
		    RSMERR_CONN_ABORTED;
	}
	/* Every frame from here on travels in records, both ways. */
	if (chal.cipher != RSM_DATA_CIPHER_NONE &&
	    (c->seal = rsm_seal_new(t->cap->token, &chal, hello.nonce,
	    0)) == NULL) {
		tcp_conn_close(c);
		return RSMERR_INSUFFICIENT_MEM;
	}
	c->size = rep.size;
	c->granted = rep.granted & ~RSM_DATA_HELLO_OPS;
	c->putm = (rep.granted & RSM_DATA_HELLO_PUTM) != 0;
	/* No mapping: data moves through the connection. */
	rsm_xport_seg_open(seg, NULL, (size_t)c->size, t->prot, c);
	return RSM_SUCCESS;
}

void
tcp_conn_close(struct tcp_conn *c)
{
	if (c == NULL)
		return;
	close(c->fd);
	rsm_seal_free(c->seal);
	pthread_mutex_destroy(&c->mtx);
	free(c);
}
