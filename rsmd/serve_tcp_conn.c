/*
 * serve_tcp_conn.c - data connections of controller tcp0 (proto/rsm_data.h).
 *
 * One non-blocking state machine per connection.  Input: a 32-byte
 * header, checked before anything that follows it is used; for HELLO and
 * the vector ops a small table; for PUT/PUTV the payload, received
 * straight into the daemon's mapping of the segment (readv, no copy of
 * ours).  Each readv also offers a small read-ahead buffer after what the
 * current state needs, so a small request arrives whole in one call
 * (header and payload, copied into place once the header passed) and a
 * read that comes back short says the socket is empty: no further readv
 * just to hear EAGAIN.  Read-ahead bytes are only ever consumed in order,
 * by the same states, as if read then.  PUTM is the exception to "no
 * copy": each entry's mask and span are staged in a buffer of the
 * connection's and only the bytes of the mask copied into the mapping,
 * so that bytes outside it are never written.  Output: a
 * short queue of replies; GET/GETV payloads are sent straight from the
 * mapping (sendmsg with an iovec per entry).
 *
 * Order: requests are handled one after another, and while a reply that
 * carries segment data is still queued no further request is read, so a
 * GET never sees a PUT that came after it.  The kernel's socket buffers
 * still hold the client's pipelined requests, so the wire stays busy.
 *
 * Positions are kept as segment offsets, never as pointers: every copy
 * goes through the segment's current mapping, so a rebind between two
 * steps of a transfer is safe.  A revocation closes the connection at
 * once, so memory is never touched after the import is gone.
 *
 * Sealed connections (data_encrypt = yes when the connection was
 * accepted; proto/rsm_data_seal.h): after HELLO every byte read goes
 * through the connection's record buffer, where each record is opened
 * in place and its tag checked before any of its bytes reach the states
 * above (so PUT data is copied into the mapping only once authenticated,
 * never received straight into it), and every reply is sealed in records
 * copied from the mapping.  The read-ahead is then unused: the record
 * buffer reads ahead instead.
 *
 * Anything malformed is refused: counted in the daemon's `refused` and,
 * as no RSMERR_* is said to anyone, in the node's `malformed` (rsmadm
 * stats), logged (rate limited) and the connection closed.  On a sealed
 * connection that includes a record that fails authentication (changed,
 * replayed, reordered) and one cut short.  Bounds and rights are
 * checked on every request against the capability; those failures are
 * answered with an error and the connection stays usable.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rsmapi.h"
#include "capability.h"
#include "serve_tcp.h"
#include "service.h"
#include "log.h"
#include "monitor.h"
#include "rsm_clock.h"
#include "rsm_data_seal.h"
#include "rsm_iov.h"
#include "rsm_ratelimit.h"

/* Replies a connection may have queued; input pauses when full. */
#define DC_OUTQ			16u
/* Work per readiness callback, for fairness between connections. */
#define DC_BUDGET_FRAMES	64u
#define DC_BUDGET_BYTES		(16u << 20)
/* iovecs per sendmsg. */
#define DC_IOV			64
/* Read-ahead after each state's need: a small request whole, and more. */
#define DC_RA			(8u << 10)

enum dc_in {
	DC_IN_HDR,		/* reading a header */
	DC_IN_TABLE,		/* reading a HELLO payload or a vector table */
	DC_IN_PAYLOAD,		/* PUT/PUTV bytes into the segment */
	DC_IN_DISCARD,		/* PUT/PUTV bytes of refused entries */
	DC_IN_MASKED,		/* a PUTM entry's mask and span, staged */
};

struct dreply {
	struct rsm_data_hdr h;
	struct rsm_data_hello_reply hello;	/* HELLO replies only */
	struct rsm_data_challenge challenge;	/* the CHALLENGE only */
	uint64_t	 old;			/* ATOMIC replies only */
	uint32_t	 n;			/* segment ranges after h */
	int		 sealed;		/* travels in records */
	struct rsm_data_vec v[RSM_DATA_VEC_MAX];
};

struct dconn {
	struct rsmd_io	 io;
	TAILQ_ENTRY(dconn) link;	/* ds->conns or ds->dead */
	struct cap_conn	 cc;		/* cc.cap: NULL until HELLO */
	struct rsmd_timer hello_timer;
	int		 dead;
	int		 close_when_sent;	/* refused HELLO: reply, then close */
	uint32_t	 events;
	uint64_t	 last_id;
	char		 peer[80];
	struct rsm_data_challenge chal;	/* what it was sent first */
	struct rsm_seal	*seal;		/* NULL: in the clear */
	/* input */
	enum dc_in	 in_state;
	struct rsm_data_hdr in;
	size_t		 in_got;
	union {
		struct rsm_data_hello_req hello;
		struct rsm_data_vec vec[RSM_DATA_PUTV_MAX];
		struct rsm_data_atomic atomic;
		struct rsm_data_signal signal;
	} tab;
	size_t		 tab_need;
	size_t		 tab_got;
	/* PUT/PUTV/PUTM in progress: entries [pv_i, pv_n) still to receive */
	struct rsm_data_vec pv[RSM_DATA_PUTV_MAX];
	uint32_t	 pv_n;
	uint32_t	 pv_i;
	uint64_t	 pv_done;	/* bytes of pv[pv_i] received (PUTM:
					   of its mask and span, in pm) */
	uint32_t	 pv_status;	/* reply once everything is in */
	uint64_t	 discard;	/* bytes of refused entries to drop */
	/*
	 * PUTM: one entry's mask, then its span, staged until all of it is
	 * in, so that only the bytes of its mask reach the segment.  Taken
	 * at the connection's first PUTM, freed with the connection.
	 */
	uint8_t		*pm;
	/* read ahead, not consumed yet: ra[ra_off, ra_off + ra_len) */
	size_t		 ra_off;
	size_t		 ra_len;
	int		 drained;	/* the last readv came back short */
	char		 ra[DC_RA];
	/* output */
	struct dreply	 out[DC_OUTQ];
	unsigned	 out_head;
	unsigned	 out_n;
	unsigned	 out_data;	/* queued replies carrying segment data */
	size_t		 out_sent;	/* bytes of the head reply already sent */
};

static void dconn_ready(struct rsmd *, struct rsmd_io *, uint32_t);
static struct dreply *reply_new(struct dconn *, uint8_t, uint32_t, uint32_t);
static int flush_out(struct rsmd *, struct dconn *);
static void set_events(struct rsmd *, struct dconn *);
static size_t ra_take(struct dconn *, void *, size_t);

static struct dconn *
to_dconn(struct rsmd_io *io)
{
	return (struct dconn *)(void *)((char *)io - offsetof(struct dconn, io));
}

static struct dconn *
timer_dconn(struct rsmd_timer *t)
{
	return (struct dconn *)(void *)((char *)t -
	    offsetof(struct dconn, hello_timer));
}

void
ds_refused(struct rsmd *rs, const char *peer, const char *why)
{
	rs->refused++;
	log_refusal(&tcp_ds(rs)->refusal_log, RSMD_LOG_WARN,
	    "data connection from %s refused: %s", peer, why);
}

/*
 * Whom a connection serves once its HELLO passed: " (import H of segment
 * S, pid P uid U)", the node first for a remote importer; else "".
 */
static const char *
import_who(const struct rsmd_cap *cap, char *buf, size_t len)
{
	const struct reg_owner *o;
	char node[24] = "";

	if (cap == NULL || cap->im == NULL) {
		buf[0] = '\0';
		return buf;
	}
	o = cap->im->owner;
	if (o->node != 0)
		snprintf(node, sizeof(node), "node %u ", o->node);
	snprintf(buf, len, " (import %#llx of segment %#x, %spid %d uid %u)",
	    (unsigned long long)cap->im->handle,
	    cap->im->seg != NULL ? cap->im->seg->segid : 0u, node,
	    (int)o->pid, (unsigned)o->uid);
	return buf;
}

static const char *
dconn_who(const struct dconn *dc, char *buf, size_t len)
{
	return import_who(dc->cc.cap, buf, len);
}

static void
refuse(struct rsmd *rs, struct dconn *dc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
refuse(struct rsmd *rs, struct dconn *dc, const char *fmt, ...)
{
	char why[320];
	va_list ap;

	char who[120];
	size_t n;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	n = strlen(why);
	snprintf(why + n, sizeof(why) - n, "%s", dconn_who(dc, who,
	    sizeof(who)));
	ds_refused(rs, dc->peer, why);
	dconn_close(rs, dc, NULL);
}

/*
 * A frame that broke the protocol: refused as any, and counted for
 * rsmadm stats apart from the refusals that have a code.
 */
static void
malformed(struct rsmd *rs, struct dconn *dc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
malformed(struct rsmd *rs, struct dconn *dc, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rs->stats.malformed++;
	refuse(rs, dc, "%s", why);
}

/* ---- lifetime ---- */

static void
reap(struct rsmd *rs, struct rsmd_timer *t)
{
	struct dataserv *ds = tcp_ds(rs);
	struct dconn *dc;

	(void)t;
	while ((dc = TAILQ_FIRST(&ds->dead)) != NULL) {
		TAILQ_REMOVE(&ds->dead, dc, link);
		free(dc->pm);
		free(dc);
	}
}

static void
hello_timeout(struct rsmd *rs, struct rsmd_timer *t)
{
	struct dconn *dc = timer_dconn(t);

	if (!dc->dead && dc->cc.cap == NULL)
		refuse(rs, dc, "no token within %u ms", DS_HELLO_MS);
}

void
dconn_accept(struct rsmd *rs, int fd, const char *peer)
{
	struct dataserv *ds = tcp_ds(rs);
	struct dreply *r;
	struct dconn *dc;

	if ((dc = calloc(1, sizeof(*dc))) == NULL) {
		log_warn("data connection from %s", peer);
		close(fd);
		return;
	}
	dc->io.fd = fd;
	dc->io.ready = dconn_ready;
	dc->hello_timer.fire = hello_timeout;
	snprintf(dc->peer, sizeof(dc->peer), "%s", peer);
	dc->events = EPOLLIN;
	if (rsmd_io_add(rs, &dc->io, dc->events) == -1) {
		log_warn("data connection from %s: epoll_ctl", peer);
		free(dc);
		close(fd);
		return;
	}
	TAILQ_INSERT_TAIL(&ds->conns, dc, link);
	ds->nconns++;
	ds->nhello++;
	rsmd_timer_set(rs, &dc->hello_timer, rsm_now_ms() + DS_HELLO_MS);
	log_debug("data connection from %s", peer);
	/*
	 * The server speaks first: a fresh challenge the HELLO must answer,
	 * and the cipher, as configured now (a reload changes it for the
	 * connections accepted after it).
	 */
	if (getrandom(dc->chal.nonce, sizeof(dc->chal.nonce), 0) !=
	    (ssize_t)sizeof(dc->chal.nonce)) {
		log_warn("getrandom: no challenge for %s", peer);
		dconn_close(rs, dc, "no challenge");
		return;
	}
	dc->chal.cipher = rs->conf.data_encrypt ? rsm_seal_cipher_pick() :
	    RSM_DATA_CIPHER_NONE;
	r = reply_new(dc, RSM_DOP_CHALLENGE, RSM_SUCCESS, 0);
	r->h.id = 0;
	r->h.len = sizeof(r->challenge);
	r->challenge = dc->chal;
	if (flush_out(rs, dc) == 0)
		set_events(rs, dc);
}

/*
 * The loop may still hold an event for this connection in the batch it
 * is dispatching, so the memory lives until the end of the round: `reap`
 * runs from the timer phase, after every event of the round.
 */
void
dconn_close(struct rsmd *rs, struct dconn *dc, const char *why)
{
	struct dataserv *ds = tcp_ds(rs);

	if (dc->dead)
		return;
	if (why != NULL)
		log_debug("data connection from %s closed: %s", dc->peer, why);
	dc->dead = 1;
	rsmd_io_del(rs, &dc->io);
	close(dc->io.fd);
	dc->io.fd = -1;
	rsmd_timer_cancel(rs, &dc->hello_timer);
	rsm_seal_free(dc->seal);
	dc->seal = NULL;
	if (dc->cc.cap != NULL)
		cap_detach(&dc->cc);
	else
		ds->nhello--;
	TAILQ_REMOVE(&ds->conns, dc, link);
	ds->nconns--;
	TAILQ_INSERT_TAIL(&ds->dead, dc, link);
	ds->reap.fire = reap;
	rsmd_timer_set(rs, &ds->reap, rsm_now_ms());
}

void
dconn_close_cap(struct rsmd *rs, struct rsmd_cap *cap, const char *why)
{
	struct cap_conn *cc;

	while ((cc = LIST_FIRST(&cap->conns)) != NULL)
		dconn_close(rs, (struct dconn *)(void *)((char *)cc -
		    offsetof(struct dconn, cc)), why);
}

void
dconn_close_all(struct rsmd *rs)
{
	struct dataserv *ds = tcp_ds(rs);
	struct dconn *dc;

	while ((dc = TAILQ_FIRST(&ds->conns)) != NULL)
		dconn_close(rs, dc, NULL);
	rsmd_timer_cancel(rs, &ds->reap);
	reap(rs, &ds->reap);
}

/* ---- replies ---- */

static struct dreply *
reply_new(struct dconn *dc, uint8_t op, uint32_t status, uint32_t count)
{
	struct dreply *r = &dc->out[(dc->out_head + dc->out_n) % DC_OUTQ];

	memset(&r->h, 0, sizeof(r->h));
	rsm_data_hdr_init(&r->h, op | RSM_DOPF_REPLY, status, dc->in.id, 0, 0,
	    count);
	r->n = 0;
	r->sealed = dc->seal != NULL;
	dc->out_n++;
	return r;
}

static size_t
reply_size(const struct dreply *r)
{
	return sizeof(r->h) + r->h.len;
}

/*
 * Gather queued replies (data straight from the mapping) into iov, as
 * many from the head on as travel the same way (sealed or not).
 */
static int
gather_out(struct dconn *dc, struct iovec *iov, int sealed)
{
	char *map = NULL;
	unsigned q;
	uint32_t i;
	int niov = 0;

	if (dc->cc.cap != NULL && dc->cc.cap->im != NULL && dc->cc.cap->im->seg != NULL)
		map = dc->cc.cap->im->seg->map;
	for (q = 0; q < dc->out_n; q++) {
		struct dreply *r = &dc->out[(dc->out_head + q) % DC_OUTQ];

		if (niov + 2 + (int)r->n > DC_IOV || r->sealed != sealed)
			break;
		iov[niov].iov_base = &r->h;
		iov[niov++].iov_len = sizeof(r->h);
		if (r->h.op == (RSM_DOP_HELLO | RSM_DOPF_REPLY) &&
		    r->h.len != 0) {
			iov[niov].iov_base = &r->hello;
			iov[niov++].iov_len = sizeof(r->hello);
		}
		if (r->h.op == (RSM_DOP_CHALLENGE | RSM_DOPF_REPLY)) {
			iov[niov].iov_base = &r->challenge;
			iov[niov++].iov_len = sizeof(r->challenge);
		}
		if (r->h.op == (RSM_DOP_ATOMIC | RSM_DOPF_REPLY) &&
		    r->h.len != 0) {
			iov[niov].iov_base = &r->old;
			iov[niov++].iov_len = sizeof(r->old);
		}
		/* A capability is attached whenever data is queued. */
		for (i = 0; i < r->n && map != NULL; i++) {
			iov[niov].iov_base = map + r->v[i].off;
			iov[niov++].iov_len = (size_t)r->v[i].len;
		}
	}
	return niov;
}

/*
 * n bytes of the queued replies went out (or, sealed, into a record:
 * their segment data is copied, so they are done with the mapping).
 */
static void
out_retire(struct dconn *dc, size_t n)
{
	size_t left = n;

	while (left > 0 && dc->out_n > 0) {
		struct dreply *r = &dc->out[dc->out_head];
		size_t rest = reply_size(r) - dc->out_sent;

		if (left < rest) {
			dc->out_sent += left;
			break;
		}
		left -= rest;
		dc->out_sent = 0;
		if (r->n > 0)
			dc->out_data--;
		dc->out_head = (dc->out_head + 1) % DC_OUTQ;
		dc->out_n--;
	}
}

/* Output not in the socket yet: queued replies or a sealed record. */
static int
out_pending(const struct dconn *dc)
{
	size_t rec = 0;

	if (dc->seal != NULL)
		(void)rsm_seal_out(dc->seal, &rec);
	return dc->out_n > 0 || rec > 0;
}

/*
 * The unsent rest of the sealed record: 1 when it is all out, 0 when the
 * socket is full, -1 once the connection is closed.
 */
static int
send_record(struct rsmd *rs, struct dconn *dc)
{
	const void *p;
	size_t len;
	ssize_t n;

	for (;;) {
		p = rsm_seal_out(dc->seal, &len);
		if (len == 0)
			return 1;
		n = send(dc->io.fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			dconn_close(rs, dc, "send failed");
			return -1;
		}
		rsm_seal_sent(dc->seal, (size_t)n);
	}
}

/* Send what the socket takes; 0, or -1 once the connection is closed. */
static int
flush_out(struct rsmd *rs, struct dconn *dc)
{
	struct iovec iov[DC_IOV];
	struct msghdr mh;
	ssize_t n;
	int niov, sealed, rc;

	for (;;) {
		if (dc->seal != NULL && (rc = send_record(rs, dc)) != 1)
			return rc;
		if (dc->out_n == 0)
			break;
		sealed = dc->out[dc->out_head].sealed;
		niov = gather_out(dc, iov, sealed);
		rsm_iov_skip(iov, &niov, dc->out_sent);
		if (sealed) {
			/*
			 * The next record; send_record() above sends it.  A
			 * queued reply always has its header left to take.
			 */
			if ((n = rsm_seal_put(dc->seal, iov, niov)) <= 0) {
				dconn_close(rs, dc, n < 0 ?
				    "record counter spent" : "nothing to seal");
				return -1;
			}
			out_retire(dc, (size_t)n);
			continue;
		}
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)niov;
		n = sendmsg(dc->io.fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			dconn_close(rs, dc, "send failed");
			return -1;
		}
		out_retire(dc, (size_t)n);
	}
	if (dc->close_when_sent) {
		dconn_close(rs, dc, "token refused");
		return -1;
	}
	return 0;
}

/* ---- requests ---- */

/*
 * The first entry that may not be done: rights (`need`), then bounds.
 * *status is RSM_SUCCESS when all n may be done.
 */
static uint32_t
entries_allowed(const struct rsmd_cap *cap, const struct rsm_data_vec *v,
    uint32_t n, uint32_t need, uint32_t *status)
{
	uint32_t k;

	*status = RSM_SUCCESS;
	if ((cap->perm & need) == 0) {
		*status = RSMERR_PERM_DENIED;
		return 0;
	}
	if ((k = rsm_data_vec_in_bounds(v, n, cap->im->seg->size)) < n)
		*status = RSMERR_BAD_LENGTH;
	return k;
}

/*
 * A request answered with an error, the connection kept: rights the
 * import lacks (info), or an entry out of bounds (warn: the library
 * checks bounds itself).  Rate limited with the data port's refusals.
 */
static void
entry_refused(struct rsmd *rs, struct dconn *dc, uint32_t status,
    const struct rsm_data_vec *v, uint32_t k)
{
	const struct rsmd_cap *cap = dc->cc.cap;
	char who[120], why[120];

	if (status == RSMERR_PERM_DENIED)
		snprintf(why, sizeof(why), "the import may not %s",
		    dc->in.op == RSM_DOP_ATOMIC ? "both read and write" :
		    dc->in.op == RSM_DOP_PUT || dc->in.op == RSM_DOP_PUTV ||
		    dc->in.op == RSM_DOP_PUTM ? "write" : "read");
	else
		snprintf(why, sizeof(why), "entry %u (%llu bytes at %llu) "
		    "is outside the %llu-byte segment", k,
		    (unsigned long long)v[k].len, (unsigned long long)v[k].off,
		    (unsigned long long)cap->im->seg->size);
	log_refusal(&tcp_ds(rs)->refusal_log, refusal_level((int)status),
	    "data connection from %s%s: %s refused: %s: %s", dc->peer,
	    dconn_who(dc, who, sizeof(who)), rsm_dop_name(dc->in.op),
	    rsm_err_name((int)status), why);
	monitor_refusal(rs, 0, cap->im->segid, cap->im, cap->im->owner->node ?
	    cap->im->owner->node : rs->conf.node_id, cap->im->owner->pid,
	    (uint32_t)cap->im->owner->uid, (int)status);
}

static void
start_get(struct rsmd *rs, struct dconn *dc, const struct rsm_data_vec *v,
    uint32_t n)
{
	struct dreply *r;
	uint32_t status, k, i;
	uint64_t bytes = 0;

	k = entries_allowed(dc->cc.cap, v, n, RSM_PERM_READ, &status);
	if (status != RSM_SUCCESS)
		entry_refused(rs, dc, status, v, k);
	r = reply_new(dc, dc->in.op, status, k);
	for (i = 0; i < k; i++) {
		r->v[i] = v[i];
		bytes += v[i].len;
	}
	/* Entries fit a frame (checked), so the sum fits 32 bits. */
	r->h.len = (uint32_t)bytes;
	r->n = bytes > 0 ? k : 0;
	if (r->n > 0)
		dc->out_data++;
	if (status == RSM_SUCCESS || bytes > 0)
		monitor_data_op(dc->cc.cap->im, dc->in.op, bytes);
	dc->in_state = DC_IN_HDR;
}

static void
finish_put(struct dconn *dc)
{
	uint64_t bytes = 0;
	uint32_t i;

	for (i = 0; i < dc->pv_n; i++)
		bytes += dc->pv[i].len;
	if (dc->pv_status == RSM_SUCCESS || bytes > 0)
		monitor_data_op(dc->cc.cap->im, dc->in.op, bytes);
	reply_new(dc, dc->in.op, dc->pv_status, dc->pv_n);
	dc->in_state = DC_IN_HDR;
}

/* Every entry of a put is in: drop the rest of the frame, or answer. */
static void
entries_done(struct dconn *dc)
{
	if (dc->discard > 0)
		dc->in_state = DC_IN_DISCARD;
	else
		finish_put(dc);
}

/*
 * The entries of a put its rights allow (the first refused one logged
 * and its status kept for the reply) become pv[0, k), none received yet.
 */
static uint32_t
stage_entries(struct rsmd *rs, struct dconn *dc, const struct rsm_data_vec *v,
    uint32_t n)
{
	uint32_t k;

	k = entries_allowed(dc->cc.cap, v, n, RSM_PERM_WRITE, &dc->pv_status);
	if (dc->pv_status != RSM_SUCCESS)
		entry_refused(rs, dc, dc->pv_status, v, k);
	dc->pv_n = k;
	dc->pv_i = 0;
	dc->pv_done = 0;
	memcpy(dc->pv, v, k * sizeof(v[0]));
	return k;
}

static void
start_put(struct rsmd *rs, struct dconn *dc, const struct rsm_data_vec *v,
    uint32_t n)
{
	uint64_t keep = 0;
	uint32_t i, k;

	k = stage_entries(rs, dc, v, n);
	for (i = 0; i < k; i++)
		keep += v[i].len;
	dc->discard = dc->in.len - keep;
	/* Skip empty entries now so pv_i always names one with bytes left. */
	while (dc->pv_i < dc->pv_n && dc->pv[dc->pv_i].len == 0)
		dc->pv_i++;
	if (dc->pv_i < dc->pv_n)
		dc->in_state = DC_IN_PAYLOAD;
	else
		entries_done(dc);
}

/*
 * PUTM, its table checked: entries that may be done are staged one by
 * one (read_masked), the rest of the frame dropped, as for PUTV.
 */
static void
start_putm(struct rsmd *rs, struct dconn *dc, const struct rsm_data_vec *v,
    uint32_t n)
{
	uint64_t keep = 0;
	uint32_t i, k;

	k = stage_entries(rs, dc, v, n);
	if (k > 0 && dc->pm == NULL && (dc->pm = malloc(
	    RSM_DATA_MASK_LEN(RSM_DATA_PUTM_SPAN_MAX) +
	    RSM_DATA_PUTM_SPAN_MAX)) == NULL) {
		dc->pv_status = RSMERR_INSUFFICIENT_RESOURCES;
		dc->pv_n = k = 0;
	}
	for (i = 0; i < k; i++)
		keep += RSM_DATA_MASK_LEN(v[i].len) + v[i].len;
	/* Checked: the entries' masks and spans add up to in.len. */
	dc->discard = dc->in.len - keep;
	if (k > 0)
		dc->in_state = DC_IN_MASKED;
	else
		entries_done(dc);
}

/*
 * From now on the connection is sealed: the bytes read ahead after HELLO
 * are the first of its records.
 */
static int
seal_start(struct dconn *dc, const struct rsmd_cap *cap)
{
	size_t room;
	void *p;

	if ((dc->seal = rsm_seal_new(cap->token, &dc->chal,
	    dc->tab.hello.nonce, 1)) == NULL)
		return -1;
	p = rsm_seal_in_space(dc->seal, &room);
	/* The record buffer reads ahead more than DC_RA: room for all. */
	rsm_seal_in_got(dc->seal, ra_take(dc, p, room));
	return 0;
}

static void
do_hello(struct rsmd *rs, struct dconn *dc)
{
	struct rsmd_cap *cap = cap_find_hello(rs, &rsmd_serve_tcp,
	    &dc->tab.hello, &dc->chal);
	struct dreply *r;
	int attached = 0;

	dc->in_state = DC_IN_HDR;
	if (cap != NULL)
		attached = cap_attach(cap, &dc->cc) == 0;
	if (!attached || (dc->chal.cipher != RSM_DATA_CIPHER_NONE &&
	    seal_start(dc, cap) == -1)) {
		uint32_t status = cap == NULL ? RSMERR_CONN_ABORTED :
		    RSMERR_INSUFFICIENT_RESOURCES;
		char who[120], why[200];

		if (cap == NULL)
			snprintf(why, sizeof(why), "HELLO: %s: no proof of a "
			    "live token for this connection's challenge",
			    rsm_err_name((int)status));
		else if (!attached)
			snprintf(why, sizeof(why), "HELLO%s: %s: already %u "
			    "connections for its token", import_who(cap, who,
			    sizeof(who)), rsm_err_name((int)status),
			    cap->nconns);
		else
			snprintf(why, sizeof(why), "HELLO%s: %s: no memory "
			    "to seal the connection", import_who(cap, who,
			    sizeof(who)), rsm_err_name((int)status));
		if (attached) {
			/* Still counted as waiting for its token. */
			cap_detach(&dc->cc);
		}
		ds_refused(rs, dc->peer, why);
		reply_new(dc, RSM_DOP_HELLO, status, 0);
		dc->close_when_sent = 1;
		return;
	}
	rsmd_timer_cancel(rs, &dc->hello_timer);
	tcp_ds(rs)->nhello--;
	r = reply_new(dc, RSM_DOP_HELLO, RSM_SUCCESS, 0);
	r->h.len = sizeof(r->hello);
	r->hello.size = cap->im->seg->size;
	/* Rights, and the optional requests this server takes. */
	r->hello.granted = cap->perm | RSM_DATA_HELLO_PUTM;
	r->hello.frame_max = RSM_DATA_FRAME_MAX;
	/* The one reply queued before the seal: it goes in the clear. */
	r->sealed = 0;
	log_debug("data connection from %s: import %#llx, %s", dc->peer,
	    (unsigned long long)cap->im->handle,
	    rsm_seal_cipher_name(dc->chal.cipher));
}

/*
 * ATOMIC: done on the daemon's mapping of the memfd with the same
 * __atomic builtins a same-node importer uses on its own mapping of the
 * same pages, so every rsm atomic on the word (any transport, any node)
 * and every CPU atomic on it are atomic with each other.  The loop is
 * single-threaded, and a connection's earlier PUT bytes are already in
 * the mapping (requests are served in order).
 */
static uint64_t
atomic_apply(char *p, const struct rsm_data_atomic *a)
{
	if (a->width == 4) {
		uint32_t *w = (uint32_t *)(void *)p;
		uint32_t c = (uint32_t)a->compare, v = (uint32_t)a->operand;

		if (a->op == RSM_DATA_AOP_FADD)
			return __atomic_fetch_add(w, v, __ATOMIC_SEQ_CST);
		if (a->op == RSM_DATA_AOP_SWAP)
			return __atomic_exchange_n(w, v, __ATOMIC_SEQ_CST);
		(void)__atomic_compare_exchange_n(w, &c, v, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		return c;
	} else {
		uint64_t *w = (uint64_t *)(void *)p;
		uint64_t c = a->compare;

		if (a->op == RSM_DATA_AOP_FADD)
			return __atomic_fetch_add(w, a->operand,
			    __ATOMIC_SEQ_CST);
		if (a->op == RSM_DATA_AOP_SWAP)
			return __atomic_exchange_n(w, a->operand,
			    __ATOMIC_SEQ_CST);
		(void)__atomic_compare_exchange_n(w, &c, a->operand, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		return c;
	}
}

static int
do_atomic(struct rsmd *rs, struct dconn *dc)
{
	const struct rsm_data_atomic *a = &dc->tab.atomic;
	const struct rsmd_cap *cap = dc->cc.cap;
	struct rsm_data_vec one = { dc->in.off, a->width };
	struct dreply *r;
	uint32_t status = RSM_SUCCESS;
	int rc;

	dc->in_state = DC_IN_HDR;
	if ((rc = rsm_data_check_atomic(a)) != 0) {
		malformed(rs, dc, "ATOMIC body: %s", rsm_dchk_str(rc));
		return -1;
	}
	/* It reads and writes the word: both rights. */
	if ((cap->perm & RSM_PERM_RDWR) != RSM_PERM_RDWR) {
		status = RSMERR_PERM_DENIED;
		entry_refused(rs, dc, status, &one, 0);
	} else if ((dc->in.off & (a->width - 1u)) != 0 ||
	    !rsm_data_in_bounds(dc->in.off, a->width, cap->im->seg->size)) {
		status = RSMERR_BAD_OFFSET;
		entry_refused(rs, dc, RSMERR_BAD_LENGTH, &one, 0);
	}
	r = reply_new(dc, RSM_DOP_ATOMIC, status, status == RSM_SUCCESS);
	if (status == RSM_SUCCESS) {
		r->old = atomic_apply((char *)cap->im->seg->map + dc->in.off, a);
		r->h.len = sizeof(r->old);
		monitor_data_op(cap->im, RSM_DOP_ATOMIC, a->width);
	}
	return 0;
}

/*
 * SIGNAL: ring the exporter now.  Every earlier request of this
 * connection is done (its bytes are in the mapping, which the exporter
 * maps too), so the exporter's wake-up comes after the data; and the
 * exporter's link is one ordered stream, so one connection's signals
 * arrive in order.
 */
static int
do_signal(struct rsmd *rs, struct dconn *dc)
{
	const struct rsm_data_signal *sg = &dc->tab.signal;
	struct reg_import *im = dc->cc.cap->im;
	int rc;

	dc->in_state = DC_IN_HDR;
	if ((rc = rsm_data_check_signal(sg)) != 0) {
		malformed(rs, dc, "SIGNAL body: %s", rsm_dchk_str(rc));
		return -1;
	}
	/* Exporters are always clients of this daemon. */
	if (im != NULL && im->seg != NULL)
		notify_event(rs, (struct client *)(void *)im->seg->owner,
		    RSM_HKIND_EXPORT, sg->flags, im->seg->handle);
	monitor_data_op(im, RSM_DOP_SIGNAL, 0);
	reply_new(dc, RSM_DOP_SIGNAL, RSM_SUCCESS, 1);
	return 0;
}

/* A whole header is in: check it and decide what follows. */
static int
got_header(struct rsmd *rs, struct dconn *dc)
{
	struct rsm_data_vec one;
	int rc;

	if ((rc = rsm_data_check_req(&dc->in)) != 0) {
		malformed(rs, dc, "%s frame: %s", rsm_dop_name(dc->in.op),
		    rsm_dchk_str(rc));
		return -1;
	}
	if (dc->in.id <= dc->last_id) {
		malformed(rs, dc, "request id %llu after %llu",
		    (unsigned long long)dc->in.id,
		    (unsigned long long)dc->last_id);
		return -1;
	}
	dc->last_id = dc->in.id;
	if ((dc->cc.cap == NULL) != (dc->in.op == RSM_DOP_HELLO)) {
		malformed(rs, dc, dc->cc.cap == NULL ? "%s before HELLO" :
		    "%s twice", rsm_dop_name(dc->in.op));
		return -1;
	}
	switch (dc->in.op) {
	case RSM_DOP_HELLO:
		dc->tab_need = sizeof(dc->tab.hello);
		break;
	case RSM_DOP_PUTV:
	case RSM_DOP_GETV:
	case RSM_DOP_PUTM:
		dc->tab_need = dc->in.count * sizeof(struct rsm_data_vec);
		break;
	case RSM_DOP_ATOMIC:
	case RSM_DOP_SIGNAL:
		/* Checked: exactly the size of its body. */
		dc->tab_need = dc->in.len;
		break;
	case RSM_DOP_PUT:
		one.off = dc->in.off;
		one.len = dc->in.len;
		start_put(rs, dc, &one, 1);
		return 0;
	default:	/* GET */
		one.off = dc->in.off;
		one.len = dc->in.len;
		start_get(rs, dc, &one, 1);
		return 0;
	}
	dc->tab_got = 0;
	dc->in_state = DC_IN_TABLE;
	return 0;
}

static int
got_table(struct rsmd *rs, struct dconn *dc)
{
	struct rsm_data_vec v[RSM_DATA_PUTV_MAX];
	int rc;

	if (dc->in.op == RSM_DOP_HELLO) {
		do_hello(rs, dc);
		return 0;
	}
	if (dc->in.op == RSM_DOP_ATOMIC)
		return do_atomic(rs, dc);
	if (dc->in.op == RSM_DOP_SIGNAL)
		return do_signal(rs, dc);
	if (dc->in.op == RSM_DOP_PUTM) {
		if ((rc = rsm_data_check_putm(&dc->in, dc->tab.vec)) != 0) {
			malformed(rs, dc, "PUTM frame: %s", rsm_dchk_str(rc));
			return -1;
		}
		memcpy(v, dc->tab.vec, dc->in.count * sizeof(v[0]));
		start_putm(rs, dc, v, dc->in.count);
		return 0;
	}
	if ((rc = rsm_data_check_vec(&dc->in, dc->tab.vec)) != 0) {
		malformed(rs, dc, "%s frame: %s", rsm_dop_name(dc->in.op),
		    rsm_dchk_str(rc));
		return -1;
	}
	memcpy(v, dc->tab.vec, dc->in.count * sizeof(v[0]));
	if (dc->in.op == RSM_DOP_PUTV)
		start_put(rs, dc, v, dc->in.count);
	else
		start_get(rs, dc, v, dc->in.count);
	return 0;
}

/* ---- input ---- */

/* Take up to len read-ahead bytes (into dst, or dropped when NULL). */
static size_t
ra_take(struct dconn *dc, void *dst, size_t len)
{
	size_t n = dc->ra_len < len ? dc->ra_len : len;

	if (dst != NULL && n > 0)
		memcpy(dst, dc->ra + dc->ra_off, n);
	dc->ra_off += n;
	dc->ra_len -= n;
	if (dc->ra_len == 0)
		dc->ra_off = 0;
	return n;
}

/* Input not read from the socket yet, that no event will announce. */
static int
in_pending(const struct dconn *dc)
{
	return dc->ra_len > 0 || (dc->seal != NULL && rsm_seal_ready(dc->seal));
}

/*
 * A read of the socket that brought nothing (n <= 0): 0 when it is just
 * empty now, else -1 once the connection is closed, refused when it
 * ended inside a frame.
 */
static ssize_t
read_ended(struct rsmd *rs, struct dconn *dc, ssize_t n)
{
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		dc->drained = 1;
		return 0;
	}
	if (n == 0 && (dc->in_state != DC_IN_HDR || dc->in_got > 0)) {
		malformed(rs, dc, "connection closed inside a %s frame",
		    rsm_dop_name(dc->in.op));
		return -1;
	}
	dconn_close(rs, dc, n == 0 ? "closed by the importer" :
	    "receive failed");
	return -1;
}

/*
 * read_some() of a sealed connection: from records already opened, else
 * from the socket into the record buffer, and never more than what was
 * authenticated.
 */
static ssize_t
read_sealed(struct rsmd *rs, struct dconn *dc, struct iovec *iov, int niov)
{
	ssize_t got, n;
	size_t room;
	void *p;

	for (;;) {
		if ((got = rsm_seal_take(dc->seal, iov, niov)) != 0) {
			if (got > 0)
				return got;
			malformed(rs, dc, "%s", got == RSM_SEAL_EBADTAG ?
			    "a record failed authentication (changed, "
			    "replayed or out of order)" :
			    "a record length out of range");
			return -1;
		}
		if (dc->drained)
			return 0;
		p = rsm_seal_in_space(dc->seal, &room);
		do {
			n = read(dc->io.fd, p, room);
		} while (n < 0 && errno == EINTR);
		if (n > 0) {
			rsm_seal_in_got(dc->seal, (size_t)n);
			dc->drained = (size_t)n < room;
			continue;
		}
		if (n == 0 && rsm_seal_partial(dc->seal)) {
			malformed(rs, dc, "connection closed inside a record");
			return -1;
		}
		return read_ended(rs, dc, n);
	}
}

/*
 * Read into the current state's buffers, iov[0..niov), with the empty
 * read-ahead buffer offered after them (iov has room for one more).
 * Returns the bytes that went to the state's buffers (the rest is read
 * ahead), 0 when the socket has nothing now, -1 once the connection is
 * closed.
 */
static ssize_t
read_some(struct rsmd *rs, struct dconn *dc, struct iovec *iov, int niov)
{
	size_t want = 0;
	ssize_t n;
	int i;

	if (dc->seal != NULL)
		return read_sealed(rs, dc, iov, niov);
	for (i = 0; i < niov; i++)
		want += iov[i].iov_len;
	iov[niov].iov_base = dc->ra;
	iov[niov].iov_len = sizeof(dc->ra);
	do {
		n = readv(dc->io.fd, iov, niov + 1);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		/* Short: the socket is empty now; epoll says when it is not. */
		dc->drained = (size_t)n < want + sizeof(dc->ra);
		if ((size_t)n <= want)
			return n;
		dc->ra_off = 0;
		dc->ra_len = (size_t)n - want;
		return (ssize_t)want;
	}
	return read_ended(rs, dc, n);
}

/* n more payload bytes are in place: step through the entries. */
static void
payload_advance(struct dconn *dc, ssize_t n)
{
	ssize_t left;

	for (left = n; left > 0 && dc->pv_i < dc->pv_n; ) {
		uint64_t rest = dc->pv[dc->pv_i].len - dc->pv_done;

		if ((uint64_t)left < rest) {
			dc->pv_done += (uint64_t)left;
			break;
		}
		left -= (ssize_t)rest;
		dc->pv_i++;
		dc->pv_done = 0;
	}
	while (dc->pv_i < dc->pv_n && dc->pv[dc->pv_i].len == 0)
		dc->pv_i++;
	if (dc->pv_i == dc->pv_n)
		entries_done(dc);
}

static ssize_t
read_payload(struct rsmd *rs, struct dconn *dc)
{
	/* readv's limit (IOV_MAX, 1024 on Linux) bounds RSM_DATA_PUTV_MAX. */
	struct iovec iov[RSM_DATA_PUTV_MAX + 1];
	char *map = dc->cc.cap->im->seg->map;
	uint32_t i;
	ssize_t n = 0;
	size_t k;
	int niov = 0;

	/* Read ahead with its header: into place now that the header passed. */
	if (dc->ra_len > 0) {
		while (dc->ra_len > 0 && dc->in_state == DC_IN_PAYLOAD) {
			const struct rsm_data_vec *v = &dc->pv[dc->pv_i];

			k = ra_take(dc, map + v->off + dc->pv_done,
			    (size_t)(v->len - dc->pv_done));
			payload_advance(dc, (ssize_t)k);
			n += (ssize_t)k;
		}
		return n;
	}
	if (dc->drained && !in_pending(dc))
		return 0;
	for (i = dc->pv_i; i < dc->pv_n; i++) {
		size_t skip = i == dc->pv_i ? (size_t)dc->pv_done : 0;

		iov[niov].iov_base = map + dc->pv[i].off + skip;
		iov[niov++].iov_len = (size_t)dc->pv[i].len - skip;
	}
	if ((n = read_some(rs, dc, iov, niov)) <= 0)
		return n;
	payload_advance(dc, n);
	return n;
}

static ssize_t
read_discard(struct rsmd *rs, struct dconn *dc)
{
	static char sink[64 * 1024];
	struct iovec iov[2];
	ssize_t n;

	if (dc->ra_len > 0) {
		n = (ssize_t)ra_take(dc, NULL, dc->discard < dc->ra_len ?
		    (size_t)dc->discard : dc->ra_len);
	} else {
		if (dc->drained && !in_pending(dc))
			return 0;
		iov[0].iov_base = sink;
		iov[0].iov_len = dc->discard < sizeof(sink) ?
		    (size_t)dc->discard : sizeof(sink);
		if ((n = read_some(rs, dc, iov, 1)) <= 0)
			return n;
	}
	dc->discard -= (uint64_t)n;
	if (dc->discard == 0)
		finish_put(dc);
	return n;
}

/*
 * The current PUTM entry's mask and span into dc->pm; once all of it is
 * in and its mask is sound, the bytes of the mask go to the segment,
 * through its current mapping.  Returns as read_payload().
 */
static ssize_t
read_masked(struct rsmd *rs, struct dconn *dc)
{
	const struct rsm_data_vec *v = &dc->pv[dc->pv_i];
	size_t mlen = RSM_DATA_MASK_LEN((size_t)v->len);
	size_t need = mlen + (size_t)v->len;
	struct iovec iov[2];
	ssize_t n;
	int rc;

	if (dc->ra_len > 0) {
		n = (ssize_t)ra_take(dc, dc->pm + dc->pv_done,
		    need - (size_t)dc->pv_done);
	} else {
		if (dc->drained && !in_pending(dc))
			return 0;
		iov[0].iov_base = dc->pm + dc->pv_done;
		iov[0].iov_len = need - (size_t)dc->pv_done;
		if ((n = read_some(rs, dc, iov, 1)) <= 0)
			return n;
	}
	dc->pv_done += (uint64_t)n;
	if (dc->pv_done < need)
		return n;
	if ((rc = rsm_data_check_mask(dc->pm, v->len)) != 0) {
		malformed(rs, dc, "PUTM entry %u: %s", dc->pv_i,
		    rsm_dchk_str(rc));
		return -1;
	}
	/* In bounds: checked against the segment when the table came. */
	rsm_data_mask_apply((char *)dc->cc.cap->im->seg->map + v->off,
	    (const char *)dc->pm + mlen, dc->pm, (size_t)v->len);
	dc->pv_done = 0;
	if (++dc->pv_i == dc->pv_n)
		entries_done(dc);
	return n;
}

/* Whether another request may be read now. */
static int
may_read(const struct dconn *dc)
{
	if (dc->dead || dc->close_when_sent)
		return 0;
	/* Mid-request: finish it (its reply slot is reserved below). */
	if (dc->in_state == DC_IN_PAYLOAD || dc->in_state == DC_IN_DISCARD ||
	    dc->in_state == DC_IN_MASKED)
		return 1;
	if (dc->in_state == DC_IN_TABLE || dc->in_got > 0)
		return dc->out_n < DC_OUTQ;
	return dc->out_n < DC_OUTQ && dc->out_data == 0;
}

/*
 * Fill [p, p + len) from the read-ahead, else from the socket.  Returns
 * the bytes taken, 0 when there are none now, -1 once closed.
 */
static ssize_t
read_small(struct rsmd *rs, struct dconn *dc, void *p, size_t len)
{
	struct iovec iov[2];

	if (dc->ra_len > 0)
		return (ssize_t)ra_take(dc, p, len);
	if (dc->drained && !in_pending(dc))
		return 0;
	iov[0].iov_base = p;
	iov[0].iov_len = len;
	return read_some(rs, dc, iov, 1);
}

/*
 * Work of one readiness callback, for fairness between connections:
 * socket reads stop once it is spent; bytes already read ahead are
 * always consumed (there is at most DC_RA of them, or a record buffer's
 * worth, and no event would come for them).
 */
struct dc_budget {
	unsigned	 frames;
	size_t		 bytes;
};

static void
read_in(struct rsmd *rs, struct dconn *dc, struct dc_budget *b)
{
	ssize_t n;

	while (may_read(dc) && (in_pending(dc) ||
	    (b->frames < DC_BUDGET_FRAMES && b->bytes < DC_BUDGET_BYTES))) {
		switch (dc->in_state) {
		case DC_IN_HDR:
			if ((n = read_small(rs, dc, (char *)&dc->in +
			    dc->in_got, sizeof(dc->in) - dc->in_got)) <= 0)
				return;
			dc->in_got += (size_t)n;
			if (dc->in_got < sizeof(dc->in))
				break;
			dc->in_got = 0;
			b->frames++;
			if (got_header(rs, dc) == -1)
				return;
			break;
		case DC_IN_TABLE:
			if ((n = read_small(rs, dc, (char *)&dc->tab +
			    dc->tab_got, dc->tab_need - dc->tab_got)) <= 0)
				return;
			dc->tab_got += (size_t)n;
			if (dc->tab_got == dc->tab_need &&
			    got_table(rs, dc) == -1)
				return;
			break;
		case DC_IN_PAYLOAD:
			if ((n = read_payload(rs, dc)) <= 0)
				return;
			b->bytes += (size_t)n;
			break;
		case DC_IN_DISCARD:
			if ((n = read_discard(rs, dc)) <= 0)
				return;
			b->bytes += (size_t)n;
			break;
		case DC_IN_MASKED:
			if ((n = read_masked(rs, dc)) <= 0)
				return;
			b->bytes += (size_t)n;
			break;
		}
	}
}

static void
set_events(struct rsmd *rs, struct dconn *dc)
{
	uint32_t want = 0;

	if (dc->dead)
		return;
	if (may_read(dc))
		want |= EPOLLIN;
	if (out_pending(dc))
		want |= EPOLLOUT;
	if (want == dc->events)
		return;
	if (rsmd_io_mod(rs, &dc->io, want) == -1) {
		dconn_close(rs, dc, "epoll_ctl failed");
		return;
	}
	dc->events = want;
}

static void
dconn_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct dconn *dc = to_dconn(io);
	struct dc_budget b = { 0, 0 };

	if (dc->dead)
		return;
	if (flush_out(rs, dc) == -1)
		return;
	/* Read-ahead left over from a pause counts as input too. */
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || in_pending(dc)) {
		dc->drained = 0;
		do {
			read_in(rs, dc, &b);
			if (dc->dead)
				return;
			if (flush_out(rs, dc) == -1)
				return;
			/*
			 * Paused for a data reply that is out now, with
			 * requests read ahead: no event will come for them.
			 * Ends: each round consumes read-ahead, and socket
			 * reads stop with the budget.
			 */
		} while (in_pending(dc) && !out_pending(dc) && may_read(dc));
	}
	/* Hung up with input paused: nothing will ever drain it. */
	if ((events & (EPOLLHUP | EPOLLERR)) && !may_read(dc)) {
		dconn_close(rs, dc, "hung up");
		return;
	}
	set_events(rs, dc);
}
