/*
 * tcp.c - the ops table of the tcp transport (controller tcp0).
 *
 * put/putv post their frames and return once the bytes are in the
 * socket; a later flush (close_barrier, or the implicit barrier around
 * each call) collects the replies and reports the first failure.  get and
 * getv post their frames and wait for the data.  A transfer larger than
 * TCP_CHUNK is cut into frames that stay in flight together, up to
 * TCP_WINDOW of them.  Ordering needs no work: the server applies one
 * connection's requests strictly in order, so fence only reports whether
 * the connection still stands.  A segment reached over tcp cannot be
 * mapped (the library refuses rsm_memseg_import_map for it).
 */
#include "tcp/tcp.h"

#include <string.h>
#include <sys/socket.h>

#include "rsmapi.h"

static int
tcp_disconnect(struct rsm_xport_seg *seg)
{
	tcp_conn_close(to_tcp_conn(seg));
	return RSM_SUCCESS;
}

/* The stream is ordered end to end: a fence only checks it still is. */
static int
tcp_fence(struct rsm_xport_seg *seg)
{
	struct tcp_conn *c = to_tcp_conn(seg);
	int rc;

	/* Not connected yet (no put/get so far): nothing to order. */
	if (c == NULL)
		return RSM_SUCCESS;
	if ((rc = tcp_enter(c)) != RSM_SUCCESS)
		return rc;
	rc = tcp_poll_replies(c);
	tcp_leave(c);
	return rc;
}

static int
tcp_flush(struct rsm_xport_seg *seg)
{
	struct tcp_conn *c = to_tcp_conn(seg);
	int rc, waited;

	/* Not connected yet: nothing was issued, so nothing can be lost. */
	if (c == NULL)
		return RSM_SUCCESS;
	if ((rc = tcp_enter(c)) != RSM_SUCCESS)
		return rc;
	waited = c->n > 0;
	rc = tcp_wait_until(c, 0);
	/*
	 * Nothing outstanding may still mean a stream the server closed (a
	 * revocation during the barrier), so probe it, unless the call just
	 * before read its own reply and nothing was posted since (a get in
	 * implicit mode): then the stream stood when that call completed.
	 */
	if (rc == RSM_SUCCESS && (waited || !c->fresh))
		rc = tcp_poll_replies(c);
	c->fresh = 0;
	if (rc == RSM_SUCCESS)
		rc = c->first_err;
	c->first_err = RSM_SUCCESS;
	tcp_leave(c);
	return rc;
}

static int
check_range(const struct tcp_conn *c, size_t off, size_t len)
{
	return rsm_data_in_bounds(off, len, c->size) ? RSM_SUCCESS :
	    RSMERR_BAD_LENGTH;
}

/*
 * Post one entry as PUT (op RSM_DOP_PUT: the payload is buf) or GET
 * frames (the data lands in buf) of at most TCP_CHUNK bytes.  wait NULL:
 * failures are reported by the next flush.
 */
static int
post_entry(struct tcp_conn *c, uint8_t op, size_t off, char *buf, size_t len,
    struct tcp_wait *wait, size_t entry)
{
	struct rsm_data_hdr h;
	struct tcp_pend p;
	struct iovec pay;
	size_t done = 0, n;
	int put = op == RSM_DOP_PUT;

	memset(&p, 0, sizeof(p));
	p.op = op;
	p.want_count = 1;
	p.ndst = put ? 0 : 1;
	p.wait = wait;
	p.entry_base = entry;
	p.part = len > TCP_CHUNK;
	while (done < len) {
		n = len - done < TCP_CHUNK ? len - done : TCP_CHUNK;
		rsm_data_hdr_init(&h, op, 0, 0, off + done, (uint32_t)n, 0);
		pay.iov_base = buf + done;
		pay.iov_len = n;
		if (!put) {
			p.want_len = (uint32_t)n;
			p.dst[0] = pay;
		}
		if (tcp_post(c, &h, NULL, 0, put ? &pay : NULL, put ? 1 : 0,
		    &p) != 0)
			return c->err;
		done += n;
	}
	return RSM_SUCCESS;
}

static int
post_put(struct tcp_conn *c, size_t off, const char *src, size_t len,
    struct tcp_wait *wait, size_t entry)
{
	/* The payload is only read: sendmsg takes no const. */
	return post_entry(c, RSM_DOP_PUT, off, (char *)(uintptr_t)src, len,
	    wait, entry);
}

static int
post_get(struct tcp_conn *c, size_t off, char *dst, size_t len,
    struct tcp_wait *wait, size_t entry)
{
	return post_entry(c, RSM_DOP_GET, off, dst, len, wait, entry);
}

static int
tcp_put(struct rsm_xport_seg *seg, size_t off, const void *src, size_t len)
{
	struct tcp_conn *c = to_tcp_conn(seg);
	int rc;

	if ((rc = tcp_enter(c)) != RSM_SUCCESS)
		return rc;
	/*
	 * Collect finished replies first, so the window keeps moving and a
	 * dead server shows up here.  With nothing outstanding there is
	 * nothing to collect: a stream that died since fails the send, or
	 * at the latest the flush, which reports it.
	 */
	if ((c->n == 0 || (rc = tcp_poll_replies(c)) == RSM_SUCCESS) &&
	    (rc = check_range(c, off, len)) == RSM_SUCCESS)
		rc = post_put(c, off, src, len, NULL, 0);
	tcp_leave(c);
	return rc;
}

static int
tcp_get(struct rsm_xport_seg *seg, size_t off, void *dst, size_t len)
{
	struct tcp_conn *c = to_tcp_conn(seg);
	struct tcp_wait w = { RSM_SUCCESS, 0 };
	int rc;

	if ((rc = tcp_enter(c)) != RSM_SUCCESS)
		return rc;
	if ((rc = check_range(c, off, len)) == RSM_SUCCESS &&
	    (rc = post_get(c, off, dst, len, &w, 0)) == RSM_SUCCESS &&
	    (rc = tcp_wait_until(c, 0)) == RSM_SUCCESS)
		rc = w.status;
	tcp_leave(c);
	return rc;
}

/*
 * The end of a call that posted entries: rc is the posting's status; the
 * replies are waited for, the first failing one's status is the call's,
 * and *done counts the entries done.  Leaves the connection.
 */
static int
settle(struct tcp_conn *c, const struct tcp_wait *w, int rc, size_t n,
    size_t *done)
{
	if (rc == RSM_SUCCESS)
		rc = tcp_wait_until(c, 0);
	if (rc == RSM_SUCCESS && w->status != RSM_SUCCESS)
		rc = w->status;
	if (done != NULL)
		*done = rc == RSM_SUCCESS ? n : w->done;
	tcp_leave(c);
	return rc;
}

/*
 * Vector ops: consecutive small entries share one PUTV/GETV frame (at
 * most RSM_DATA_PUTV_MAX or RSM_DATA_VEC_MAX entries and TCP_CHUNK
 * bytes); an entry larger
 * than a chunk travels alone, split.  The call waits for its replies, so
 * *done names exactly the entries that reached the segment.
 */
static int
xferv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov, size_t n,
    size_t *done, int is_put)
{
	struct tcp_conn *c = to_tcp_conn(seg);
	struct tcp_wait w = { RSM_SUCCESS, 0 };
	struct rsm_data_vec tab[RSM_DATA_PUTV_MAX];
	struct iovec pay[RSM_DATA_PUTV_MAX];
	const size_t per_frame = is_put ? RSM_DATA_PUTV_MAX : RSM_DATA_VEC_MAX;
	struct rsm_data_hdr h;
	struct tcp_pend p;
	size_t i, j, bytes;
	int rc;

	if (done != NULL)
		*done = 0;
	if ((rc = tcp_enter(c)) != RSM_SUCCESS)
		return rc;
	if (iov == NULL && n > 0)
		rc = RSMERR_BAD_ADDR;
	for (i = 0; i < n && rc == RSM_SUCCESS; i++)
		rc = check_range(c, iov[i].remote_off, iov[i].len);
	for (i = 0; i < n && rc == RSM_SUCCESS; i = j) {
		if (iov[i].len > TCP_CHUNK) {
			rc = is_put ? post_put(c, iov[i].remote_off,
			    iov[i].local, iov[i].len, &w, i) :
			    post_get(c, iov[i].remote_off, iov[i].local,
			    iov[i].len, &w, i);
			j = i + 1;
			continue;
		}
		memset(&p, 0, sizeof(p));
		bytes = 0;
		for (j = i; j < n && j - i < per_frame &&
		    iov[j].len <= TCP_CHUNK - bytes; j++) {
			tab[j - i].off = iov[j].remote_off;
			tab[j - i].len = iov[j].len;
			pay[j - i].iov_base = iov[j].local;
			pay[j - i].iov_len = iov[j].len;
			bytes += iov[j].len;
		}
		p.op = is_put ? RSM_DOP_PUTV : RSM_DOP_GETV;
		p.want_count = (uint32_t)(j - i);
		p.wait = &w;
		p.entry_base = i;
		if (!is_put) {
			p.want_len = (uint32_t)bytes;
			p.ndst = (uint32_t)(j - i);
			memcpy(p.dst, pay, (j - i) * sizeof(pay[0]));
		}
		rsm_data_hdr_init(&h, p.op, 0, 0, 0, (uint32_t)bytes,
		    (uint32_t)(j - i));
		rc = tcp_post(c, &h, tab, (uint32_t)(j - i), pay,
		    is_put ? (int)(j - i) : 0, &p);
	}
	return settle(c, &w, rc, n, done);
}

static int
tcp_putv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov,
    size_t n, size_t *done)
{
	return xferv(seg, iov, n, done, 1);
}

static int
tcp_getv(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov,
    size_t n, size_t *done)
{
	return xferv(seg, iov, n, done, 0);
}

_Static_assert(RSM_MPUT_SPAN_MAX == RSM_DATA_PUTM_SPAN_MAX,
    "masked span bound");
/* Two payload iovecs per entry must fit tcp_post's table. */
#define TCP_PUTM_PER_FRAME	(RSM_DATA_PUTV_MAX / 2)

/*
 * Masked puts: consecutive entries share one PUTM frame (at most
 * TCP_PUTM_PER_FRAME entries and TCP_CHUNK bytes of masks and spans),
 * each entry its mask and then its span.  Only to a server whose HELLO
 * said it takes them.  The call waits for its replies, as xferv.
 */
static int
tcp_putm(struct rsm_xport_seg *seg, const struct rsm_xport_mput *m,
    size_t n, size_t *done)
{
	struct tcp_conn *c = to_tcp_conn(seg);
	struct tcp_wait w = { RSM_SUCCESS, 0 };
	struct rsm_data_vec tab[TCP_PUTM_PER_FRAME];
	struct iovec pay[2 * TCP_PUTM_PER_FRAME];
	struct rsm_data_hdr h;
	struct tcp_pend p;
	size_t i, j, bytes, wire;
	int rc;

	if (done != NULL)
		*done = 0;
	/* Fixed at connect: no lock to ask. */
	if (n == 0)
		return c != NULL && c->putm ? RSM_SUCCESS :
		    RSMERR_UNSUPPORTED_OPERATION;
	if ((rc = tcp_enter(c)) != RSM_SUCCESS)
		return rc;
	if (!c->putm)
		rc = RSMERR_UNSUPPORTED_OPERATION;
	else if (m == NULL)
		rc = RSMERR_BAD_ADDR;
	for (i = 0; i < n && rc == RSM_SUCCESS; i++) {
		if (m[i].len == 0 || m[i].len > RSM_DATA_PUTM_SPAN_MAX ||
		    m[i].local == NULL || m[i].mask == NULL)
			rc = RSMERR_BAD_LENGTH;
		else
			rc = check_range(c, m[i].remote_off, m[i].len);
	}
	for (i = 0; i < n && rc == RSM_SUCCESS; i = j) {
		bytes = 0;
		for (j = i; j < n && j - i < TCP_PUTM_PER_FRAME; j++) {
			wire = RSM_DATA_MASK_LEN(m[j].len) + m[j].len;
			/* The first always fits: a span is far below a chunk. */
			if (j > i && wire > TCP_CHUNK - bytes)
				break;
			tab[j - i].off = m[j].remote_off;
			tab[j - i].len = m[j].len;
			/* Only read: sendmsg takes no const. */
			pay[2 * (j - i)].iov_base = (void *)(uintptr_t)m[j].mask;
			pay[2 * (j - i)].iov_len = RSM_DATA_MASK_LEN(m[j].len);
			pay[2 * (j - i) + 1].iov_base =
			    (void *)(uintptr_t)m[j].local;
			pay[2 * (j - i) + 1].iov_len = m[j].len;
			bytes += wire;
		}
		memset(&p, 0, sizeof(p));
		p.op = RSM_DOP_PUTM;
		p.want_count = (uint32_t)(j - i);
		p.wait = &w;
		p.entry_base = i;
		rsm_data_hdr_init(&h, RSM_DOP_PUTM, 0, 0, 0, (uint32_t)bytes,
		    (uint32_t)(j - i));
		rc = tcp_post(c, &h, tab, (uint32_t)(j - i), pay,
		    (int)(2 * (j - i)), &p);
	}
	return settle(c, &w, rc, n, done);
}

_Static_assert(RSM_DATA_AOP_FADD == RSM_AOP_FADD &&
    RSM_DATA_AOP_CAS == RSM_AOP_CAS &&
    RSM_DATA_AOP_SWAP == RSM_AOP_SWAP, "atomic op numbers");

/*
 * An ATOMIC frame, executed by the segment's home daemon on its mapping
 * of the memfd, after every earlier request of this connection; the
 * call waits for the old value.
 */
static int
tcp_atomic(struct rsm_xport_seg *seg, size_t off, unsigned op,
    unsigned width, uint64_t operand, uint64_t compare, uint64_t *old)
{
	struct tcp_conn *c = to_tcp_conn(seg);
	struct tcp_wait w = { RSM_SUCCESS, 0 };
	struct rsm_data_atomic a;
	struct rsm_data_hdr h;
	struct tcp_pend p;
	struct iovec pay;
	uint64_t val = 0;
	int rc;

	if ((rc = tcp_enter(c)) != RSM_SUCCESS)
		return rc;
	if ((rc = check_range(c, off, width)) != RSM_SUCCESS) {
		tcp_leave(c);
		return RSMERR_BAD_OFFSET;
	}
	memset(&a, 0, sizeof(a));
	a.op = (uint8_t)op;
	a.width = (uint8_t)width;
	a.operand = width == 4 ? (uint32_t)operand : operand;
	a.compare = op != RSM_AOP_CAS ? 0 :
	    width == 4 ? (uint32_t)compare : compare;
	memset(&p, 0, sizeof(p));
	p.op = RSM_DOP_ATOMIC;
	p.want_len = sizeof(val);
	p.want_count = 1;
	p.ndst = 1;
	p.dst[0].iov_base = &val;
	p.dst[0].iov_len = sizeof(val);
	p.wait = &w;
	rsm_data_hdr_init(&h, RSM_DOP_ATOMIC, 0, 0, off, sizeof(a), 0);
	pay.iov_base = &a;
	pay.iov_len = sizeof(a);
	if ((rc = tcp_post(c, &h, NULL, 0, &pay, 1, &p)) == RSM_SUCCESS &&
	    (rc = tcp_wait_until(c, 0)) == RSM_SUCCESS)
		rc = w.status;
	/* Earlier posted puts' failures are this call's too. */
	if (rc == RSM_SUCCESS && c->first_err != RSM_SUCCESS) {
		rc = c->first_err;
		c->first_err = RSM_SUCCESS;
	}
	if (rc == RSM_SUCCESS)
		*old = width == 4 ? (uint32_t)val : val;
	tcp_leave(c);
	return rc;
}

/*
 * PUT frames, then a SIGNAL frame on the same stream: the server stores
 * the bytes before it reads the SIGNAL, and rings the exporter when it
 * does.  The call collects every reply, so a refused put is reported
 * (and the exporter may then have been rung for data that did not all
 * land: the reply says which).
 */
static int
tcp_put_signal(struct rsm_xport_seg *seg, size_t off, const void *src,
    size_t len, uint32_t flags, rsm_xport_post_fn post, void *arg)
{
	struct tcp_conn *c = to_tcp_conn(seg);
	struct tcp_wait w = { RSM_SUCCESS, 0 };
	struct rsm_data_signal sg;
	struct rsm_data_hdr h;
	struct tcp_pend p;
	struct iovec pay;
	int rc;

	(void)post; (void)arg;
	if ((rc = tcp_enter(c)) != RSM_SUCCESS)
		return rc;
	if ((rc = check_range(c, off, len)) != RSM_SUCCESS ||
	    (rc = post_put(c, off, src, len, &w, 0)) != RSM_SUCCESS)
		goto out;
	memset(&sg, 0, sizeof(sg));
	sg.flags = flags & RSM_SIGPOST_NO_ACCUMULATE;
	memset(&p, 0, sizeof(p));
	p.op = RSM_DOP_SIGNAL;
	p.want_count = 1;
	p.wait = &w;
	rsm_data_hdr_init(&h, RSM_DOP_SIGNAL, 0, 0, 0, sizeof(sg), 0);
	pay.iov_base = &sg;
	pay.iov_len = sizeof(sg);
	if ((rc = tcp_post(c, &h, NULL, 0, &pay, 1, &p)) == RSM_SUCCESS &&
	    (rc = tcp_wait_until(c, 0)) == RSM_SUCCESS)
		rc = w.status;
	if (rc == RSM_SUCCESS && c->first_err != RSM_SUCCESS) {
		rc = c->first_err;
		c->first_err = RSM_SUCCESS;
	}
out:
	tcp_leave(c);
	return rc;
}

/*
 * A revoked import: a call may be blocked on a stream whose far end went
 * silent (a node whose link is down), so cut the stream under it.  No
 * lock: the blocked call holds it, and shutdown() frees nothing.
 */
static void
tcp_abort(struct rsm_xport_seg *seg)
{
	struct tcp_conn *c = to_tcp_conn(seg);

	if (c != NULL && c->fd >= 0)
		(void)shutdown(c->fd, SHUT_RDWR);
}

const struct rsm_transport_ops rsm_tcp_ops = {
	"tcp",
	RSM_XPORT_TCP,
	tcp_conn_open,
	tcp_disconnect,
	tcp_fence,
	tcp_flush,
	tcp_get,
	tcp_getv,
	tcp_put,
	tcp_putv,
	/* Socket calls read and write local buffers: nothing to pin. */
	rsm_xport_register_plain,
	rsm_xport_deregister_plain,
	/* Signals travel over the node daemon's control channel. */
	rsm_xport_signal_via_daemon,
	tcp_abort,
	tcp_atomic,
	tcp_put_signal,
	/* xferv frames any number of entries, a frame's worth at a time. */
	SIZE_MAX,
	tcp_putm,
};
