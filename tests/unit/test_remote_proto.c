/*
 * test_remote_proto.c - the bodies of the remote import operations between
 * peer daemons (proto/rsm_remote.h): every encoder writes the documented
 * little-endian layout, every decoder gives back what was encoded, and
 * every decoder refuses each malformed body (truncated, oversized, bad
 * count, bad port, family or data-path kind, non-zero padding) without
 * touching its output, since the daemon trusts nothing in a refused body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rsm_peer.h"
#include "rsm_remote.h"
#include "rsmapi.h"

/* Room for the largest body plus slack, so oversized lengths stay in bounds. */
static uint8_t b[RSM_PEER_BODY_MAX + 64];

/* A CONNECT whose every field differs, so a swapped offset shows. */
static void
connect_fill(struct rsm_rmt_connect *m, uint32_t ngroups)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->segid = 0x400123u;
	m->perm = RSM_PERM_RDWR;
	m->uid = 1001;
	m->gid = 2002;
	m->pid = 30003;
	m->ngroups = ngroups;
	m->handle = 0x1122334455667788ull;
	for (i = 0; i < ngroups && i < RSM_RMT_GROUPS_MAX; i++)
		m->groups[i] = 5000 + i;
}

static void
reply_fill(struct rsm_rmt_connect_reply *m, uint8_t family, uint8_t kind)
{
	memset(m, 0, sizeof(*m));
	m->handle = 0x0102030405060708ull;
	m->size = 0x10000;
	m->node_mode = 0640;
	m->granted = RSM_PERM_READ;
	m->owner_uid = 77;
	m->owner_gid = 88;
	memset(m->cap.token, 0xa5, sizeof(m->cap.token));
	m->cap.token[0] = 1;
	m->cap.token[RSM_CAP_TOKEN_LEN - 1] = 2;
	m->cap.addr[0] = 10;
	m->cap.addr[1] = 77;
	m->cap.addr[2] = 1;
	m->cap.addr[3] = 2;
	if (family == RSM_CAP_INET6)
		m->cap.addr[15] = 9;
	m->cap.port = 40000;
	m->cap.family = family;
	m->cap.kind = kind;
	/* Only a verbs capability names a memory region. */
	m->cap.rkey = kind == RSM_CAPK_VERBS ? 0xc0ffee01u : 0;
}

/* ---- CONNECT ---- */

static void
test_connect_layout(void **state)
{
	struct rsm_rmt_connect m;
	size_t n;

	(void)state;
	connect_fill(&m, 2);
	n = rsm_rmt_connect_enc(b, &m);
	assert_int_equal(n, RSM_RMT_CONNECT_FIXED + 8);
	assert_int_equal(rsm_peer_get32(b + 0), 0x400123u);
	assert_int_equal(rsm_peer_get32(b + 4), RSM_PERM_RDWR);
	assert_int_equal(rsm_peer_get32(b + 8), 1001);
	assert_int_equal(rsm_peer_get32(b + 12), 2002);
	assert_int_equal(rsm_peer_get32(b + 16), 30003);
	assert_int_equal(rsm_peer_get32(b + 20), 2);
	assert_true(rsm_peer_get64(b + 24) == 0x1122334455667788ull);
	assert_int_equal(rsm_peer_get32(b + 32), 5000);
	assert_int_equal(rsm_peer_get32(b + 36), 5001);
	/* Little-endian on the wire whatever the host. */
	assert_int_equal(b[0], 0x23);
	assert_int_equal(b[1], 0x01);
	assert_int_equal(b[2], 0x40);
	assert_int_equal(b[24], 0x88);
	assert_int_equal(b[31], 0x11);
}

static void
test_connect_roundtrip(void **state)
{
	static struct rsm_rmt_connect m, d;
	static const uint32_t counts[] = { 0, 1, 17, RSM_RMT_GROUPS_MAX };
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		connect_fill(&m, counts[i]);
		n = rsm_rmt_connect_enc(b, &m);
		assert_int_equal(n, RSM_RMT_CONNECT_FIXED + 4 * counts[i]);
		assert_true(n <= RSM_PEER_BODY_MAX);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(rsm_rmt_connect_dec(b, n, &d), 0);
		assert_int_equal(d.segid, m.segid);
		assert_int_equal(d.perm, m.perm);
		assert_int_equal(d.uid, m.uid);
		assert_int_equal(d.gid, m.gid);
		assert_int_equal(d.pid, m.pid);
		assert_int_equal(d.ngroups, counts[i]);
		assert_true(d.handle == m.handle);
		if (counts[i] > 0)
			assert_memory_equal(d.groups, m.groups,
			    counts[i] * sizeof(m.groups[0]));
	}
}

static void
test_connect_encoder_caps_groups(void **state)
{
	static struct rsm_rmt_connect m, d;
	size_t n;

	(void)state;
	/* A count above the maximum is cut to the maximum, never overflows. */
	connect_fill(&m, RSM_RMT_GROUPS_MAX);
	m.ngroups = RSM_RMT_GROUPS_MAX + 100;
	n = rsm_rmt_connect_enc(b, &m);
	assert_int_equal(n, RSM_RMT_CONNECT_FIXED + 4 * RSM_RMT_GROUPS_MAX);
	assert_int_equal(rsm_peer_get32(b + 20), RSM_RMT_GROUPS_MAX);
	assert_int_equal(rsm_rmt_connect_dec(b, n, &d), 0);
	assert_int_equal(d.ngroups, RSM_RMT_GROUPS_MAX);
}

/* A refused decode leaves the output exactly as it was. */
static void
connect_refused(size_t len)
{
	static struct rsm_rmt_connect d, before;

	memset(&d, 0x5c, sizeof(d));
	before = d;
	assert_int_equal(rsm_rmt_connect_dec(b, len, &d), -1);
	assert_memory_equal(&d, &before, sizeof(d));
}

static void
test_connect_faults(void **state)
{
	static struct rsm_rmt_connect m;
	size_t n, len;

	(void)state;
	connect_fill(&m, 3);
	n = rsm_rmt_connect_enc(b, &m);
	/* Truncated: inside the fixed part, and inside the group list. */
	for (len = 0; len < RSM_RMT_CONNECT_FIXED; len++)
		connect_refused(len);
	for (len = RSM_RMT_CONNECT_FIXED; len < n; len++)
		connect_refused(len);
	/* Oversized: any bytes past the declared groups. */
	connect_refused(n + 1);
	connect_refused(n + 4);
	/* The count disagrees with the length, either way. */
	rsm_peer_put32(b + 20, 2);
	connect_refused(n);
	rsm_peer_put32(b + 20, 4);
	connect_refused(n);
	/* A count above the maximum, even with a length that matches it. */
	rsm_peer_put32(b + 20, RSM_RMT_GROUPS_MAX + 1);
	connect_refused(RSM_RMT_CONNECT_FIXED + 4 * (RSM_RMT_GROUPS_MAX + 1));
	/* A count whose byte size would wrap a 32-bit length. */
	rsm_peer_put32(b + 20, 0x40000000u);
	connect_refused(RSM_RMT_CONNECT_FIXED);
	rsm_peer_put32(b + 20, UINT32_MAX);
	connect_refused(RSM_RMT_CONNECT_FIXED + 4 * (size_t)RSM_RMT_GROUPS_MAX);
	/* Back to the right count: accepted again, so nothing else was off. */
	rsm_peer_put32(b + 20, 3);
	{
		static struct rsm_rmt_connect d;

		assert_int_equal(rsm_rmt_connect_dec(b, n, &d), 0);
		assert_int_equal(d.ngroups, 3);
	}
}

/* ---- CONNECT reply ---- */

static void
test_reply_layout(void **state)
{
	struct rsm_rmt_connect_reply m;
	size_t n, i;

	(void)state;
	memset(b, 0xff, sizeof(b));
	reply_fill(&m, RSM_CAP_INET, RSM_CAPK_VERBS);
	n = rsm_rmt_connect_reply_enc(b, &m);
	assert_int_equal(n, RSM_RMT_CONNECT_REPLY_LEN);
	assert_true(rsm_peer_get64(b + 0) == 0x0102030405060708ull);
	assert_int_equal(b[0], 0x08);
	assert_true(rsm_peer_get64(b + 8) == 0x10000);
	assert_int_equal(rsm_peer_get32(b + 16), 0640);
	assert_int_equal(rsm_peer_get32(b + 20), RSM_PERM_READ);
	assert_int_equal(rsm_peer_get32(b + 24), 77);
	assert_int_equal(rsm_peer_get32(b + 28), 88);
	assert_memory_equal(b + 32, m.cap.token, RSM_CAP_TOKEN_LEN);
	assert_memory_equal(b + 48, m.cap.addr, sizeof(m.cap.addr));
	assert_int_equal(rsm_peer_get32(b + 64), 40000);
	assert_int_equal(b[68], RSM_CAP_INET);
	assert_int_equal(b[69], RSM_CAPK_VERBS);
	assert_int_equal(rsm_peer_get32(b + 72), 0xc0ffee01u);
	/* The padding is written as zeros, whatever was in the buffer. */
	assert_int_equal(b[70], 0);
	assert_int_equal(b[71], 0);
	for (i = 76; i < RSM_RMT_CONNECT_REPLY_LEN; i++)
		assert_int_equal(b[i], 0);
	/* Nothing is written past the body. */
	assert_int_equal(b[RSM_RMT_CONNECT_REPLY_LEN], 0xff);
}

static void
test_reply_roundtrip(void **state)
{
	static const uint8_t fams[] = { RSM_CAP_INET, RSM_CAP_INET6 };
	static const uint8_t kinds[] = { RSM_CAPK_TCP, RSM_CAPK_VERBS,
	    RSM_CAPK_UCX };
	static const uint16_t ports[] = { 1, 40000, 65535 };
	struct rsm_rmt_connect_reply m, d;
	size_t i, j, k, n;

	(void)state;
	for (i = 0; i < sizeof(fams); i++)
	    for (j = 0; j < sizeof(kinds); j++)
		for (k = 0; k < sizeof(ports) / sizeof(ports[0]); k++) {
			reply_fill(&m, fams[i], kinds[j]);
			m.cap.port = ports[k];
			n = rsm_rmt_connect_reply_enc(b, &m);
			memset(&d, 0xee, sizeof(d));
			assert_int_equal(rsm_rmt_connect_reply_dec(b, n, &d),
			    0);
			assert_true(d.handle == m.handle);
			assert_true(d.size == m.size);
			assert_int_equal(d.node_mode, m.node_mode);
			assert_int_equal(d.granted, m.granted);
			assert_int_equal(d.owner_uid, m.owner_uid);
			assert_int_equal(d.owner_gid, m.owner_gid);
			assert_memory_equal(d.cap.token, m.cap.token,
			    RSM_CAP_TOKEN_LEN);
			assert_memory_equal(d.cap.addr, m.cap.addr,
			    sizeof(m.cap.addr));
			assert_int_equal(d.cap.port, ports[k]);
			assert_int_equal(d.cap.family, fams[i]);
			assert_int_equal(d.cap.kind, kinds[j]);
			assert_int_equal(d.cap.rkey, m.cap.rkey);
		}
}

static void
reply_refused(size_t len)
{
	struct rsm_rmt_connect_reply d, before;

	memset(&d, 0x5c, sizeof(d));
	before = d;
	assert_int_equal(rsm_rmt_connect_reply_dec(b, len, &d), -1);
	assert_memory_equal(&d, &before, sizeof(d));
}

static void
test_reply_faults(void **state)
{
	static const uint8_t bad_fams[] = { RSM_CAP_NONE, 1, 5, 7, 0xff };
	static const uint8_t bad_kinds[] = { 3, 4, 0x80, 0xff };
	struct rsm_rmt_connect_reply m, d;
	size_t i, len;

	(void)state;
	reply_fill(&m, RSM_CAP_INET6, RSM_CAPK_TCP);
	rsm_rmt_connect_reply_enc(b, &m);
	/* Truncated and oversized. */
	for (len = 0; len < RSM_RMT_CONNECT_REPLY_LEN; len++)
		reply_refused(len);
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN + 1);
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN + 8);
	/* Port 0, and ports that do not fit 16 bits. */
	rsm_peer_put32(b + 64, 0);
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	rsm_peer_put32(b + 64, 65536);
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	/* The low 16 bits alone would look valid. */
	rsm_peer_put32(b + 64, 0x10001);
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	rsm_peer_put32(b + 64, UINT32_MAX);
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	rsm_peer_put32(b + 64, 40000);
	/* Every family but IPv4 and IPv6. */
	for (i = 0; i < sizeof(bad_fams); i++) {
		b[68] = bad_fams[i];
		reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	}
	b[68] = RSM_CAP_INET6;
	/* Unknown data-path kinds. */
	for (i = 0; i < sizeof(bad_kinds); i++) {
		b[69] = bad_kinds[i];
		reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	}
	b[69] = RSM_CAPK_TCP;
	/* A tcp capability with an rkey, in any of its bytes. */
	for (i = 72; i < 76; i++) {
		b[i] = 0x01;
		reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
		b[i] = 0;
	}
	/* Any non-zero padding byte. */
	for (i = 70; i < RSM_RMT_CONNECT_REPLY_LEN; i++) {
		if (i >= 72 && i < 76)
			continue;	/* the rkey, above */
		b[i] = 0x01;
		reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
		b[i] = 0x80;
		reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
		b[i] = 0;
	}
	/* Repaired: accepted, so each refusal above had one cause. */
	assert_int_equal(rsm_rmt_connect_reply_dec(b,
	    RSM_RMT_CONNECT_REPLY_LEN, &d), 0);
	assert_int_equal(d.cap.port, 40000);
	assert_int_equal(d.cap.family, RSM_CAP_INET6);
	assert_int_equal(d.cap.kind, RSM_CAPK_TCP);
	assert_int_equal(d.cap.rkey, 0);
	/* The same rkey is fine on a verbs capability. */
	b[69] = RSM_CAPK_VERBS;
	rsm_peer_put32(b + 72, 0x1234);
	assert_int_equal(rsm_rmt_connect_reply_dec(b,
	    RSM_RMT_CONNECT_REPLY_LEN, &d), 0);
	assert_int_equal(d.cap.kind, RSM_CAPK_VERBS);
	assert_int_equal(d.cap.rkey, 0x1234);
	/* Its padding is still checked. */
	b[70] = 1;
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	b[70] = 0;
	b[79] = 1;
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
}

/* A verbs capability's further addresses (one per device served). */
static void
test_reply_addresses(void **state)
{
	struct rsm_rmt_connect_reply m, d;
	size_t n, i, k;

	(void)state;
	reply_fill(&m, RSM_CAP_INET, RSM_CAPK_VERBS);
	m.cap.nmore = RSM_CAP_ADDRS_MAX - 1;
	for (k = 0; k < RSM_CAP_ADDRS_MAX - 1; k++) {
		memset(m.cap.more[k].addr, (int)(k + 1), 16);
		m.cap.more[k].port = (uint16_t)(0x1234 + k);
		m.cap.more[k].family = k == 1 ? RSM_CAP_INET6 : RSM_CAP_INET;
	}
	memset(b, 0xff, sizeof(b));
	n = rsm_rmt_connect_reply_enc(b, &m);
	assert_int_equal(n, RSM_RMT_CONNECT_REPLY_LEN);
	assert_int_equal(b[76], RSM_CAP_ADDRS_MAX - 1);
	assert_int_equal(b[77] | b[78] | b[79], 0);
	for (k = 0; k < RSM_CAP_ADDRS_MAX - 1; k++) {
		assert_memory_equal(b + 80 + 20 * k, m.cap.more[k].addr, 16);
		assert_int_equal(b[80 + 20 * k + 16], (0x34 + k) & 0xff);
		assert_int_equal(b[80 + 20 * k + 17], 0x12);
		assert_int_equal(b[80 + 20 * k + 18], m.cap.more[k].family);
		assert_int_equal(b[80 + 20 * k + 19], 0);
	}
	assert_int_equal(b[RSM_RMT_CONNECT_REPLY_LEN], 0xff);
	/* Every count round-trips; the unused entries decode as zeros. */
	for (i = 0; i < RSM_CAP_ADDRS_MAX; i++) {
		m.cap.nmore = (uint8_t)i;
		n = rsm_rmt_connect_reply_enc(b, &m);
		memset(&d, 0xee, sizeof(d));
		assert_int_equal(rsm_rmt_connect_reply_dec(b, n, &d), 0);
		assert_int_equal(d.cap.nmore, i);
		for (k = 0; k < RSM_CAP_ADDRS_MAX - 1; k++) {
			struct rsm_wire_capaddr z;

			memset(&z, 0, sizeof(z));
			if (k < i) {
				assert_memory_equal(d.cap.more[k].addr,
				    m.cap.more[k].addr, 16);
				assert_int_equal(d.cap.more[k].port,
				    m.cap.more[k].port);
				assert_int_equal(d.cap.more[k].family,
				    m.cap.more[k].family);
			} else
				assert_memory_equal(&d.cap.more[k], &z,
				    sizeof(z));
		}
	}
	/* Faults, from two good entries. */
	m.cap.nmore = 2;
	rsm_rmt_connect_reply_enc(b, &m);
	b[76] = RSM_CAP_ADDRS_MAX;
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	b[76] = 2;
	/* A tcp capability lists one address. */
	b[69] = RSM_CAPK_TCP;
	rsm_peer_put32(b + 72, 0);
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	b[69] = RSM_CAPK_VERBS;
	/* A used entry without a port, of an unknown family, padded. */
	b[80 + 20 + 16] = 0;
	b[80 + 20 + 17] = 0;
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	b[80 + 20 + 17] = 0x12;
	b[80 + 18] = 5;
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	b[80 + 18] = RSM_CAP_INET;
	b[80 + 19] = 1;
	reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
	b[80 + 19] = 0;
	/* Any byte of the unused entry. */
	for (i = 80 + 40; i < RSM_RMT_CONNECT_REPLY_LEN; i++) {
		b[i] = 1;
		reply_refused(RSM_RMT_CONNECT_REPLY_LEN);
		b[i] = 0;
	}
	assert_int_equal(rsm_rmt_connect_reply_dec(b,
	    RSM_RMT_CONNECT_REPLY_LEN, &d), 0);
	assert_int_equal(d.cap.nmore, 2);
}

/* ---- DISCONNECT (a bare handle) ---- */

static void
test_handle(void **state)
{
	uint64_t h, before;
	size_t len;

	(void)state;
	assert_int_equal(rsm_rmt_handle_enc(b, 0x8877665544332211ull),
	    RSM_RMT_HANDLE_LEN);
	assert_int_equal(b[0], 0x11);
	assert_int_equal(b[7], 0x88);
	h = 0;
	assert_int_equal(rsm_rmt_handle_dec(b, RSM_RMT_HANDLE_LEN, &h), 0);
	assert_true(h == 0x8877665544332211ull);
	/* Every length but 8 is refused, and the handle left alone. */
	for (len = 0; len <= RSM_RMT_HANDLE_LEN + 8; len++) {
		if (len == RSM_RMT_HANDLE_LEN)
			continue;
		before = h = 42;
		assert_int_equal(rsm_rmt_handle_dec(b, len, &h), -1);
		assert_true(h == before);
	}
}

/* ---- REVOKED ---- */

static void
test_revoked(void **state)
{
	struct rsm_rmt_revoked m = { .handle = 0x0a0b0c0d0e0f1011ull,
	    .reason = RSMERR_CONN_ABORTED }, d, before;
	size_t len;
	int i;

	(void)state;
	memset(b, 0xff, sizeof(b));
	assert_int_equal(rsm_rmt_revoked_enc(b, &m), RSM_RMT_REVOKED_LEN);
	assert_true(rsm_peer_get64(b) == m.handle);
	assert_int_equal(rsm_peer_get32(b + 8), RSMERR_CONN_ABORTED);
	/* The reserved word is written as zero. */
	assert_int_equal(rsm_peer_get32(b + 12), 0);
	memset(&d, 0, sizeof(d));
	assert_int_equal(rsm_rmt_revoked_dec(b, RSM_RMT_REVOKED_LEN, &d), 0);
	assert_true(d.handle == m.handle);
	assert_int_equal(d.reason, RSMERR_CONN_ABORTED);

	/* Truncated and oversized. */
	for (len = 0; len <= RSM_RMT_REVOKED_LEN + 8; len++) {
		if (len == RSM_RMT_REVOKED_LEN)
			continue;
		memset(&d, 0x5c, sizeof(d));
		before = d;
		assert_int_equal(rsm_rmt_revoked_dec(b, len, &d), -1);
		assert_memory_equal(&d, &before, sizeof(d));
	}
	/* Any non-zero byte of the reserved word. */
	for (i = 12; i < 16; i++) {
		b[i] = 1;
		memset(&d, 0x5c, sizeof(d));
		before = d;
		assert_int_equal(rsm_rmt_revoked_dec(b, RSM_RMT_REVOKED_LEN,
		    &d), -1);
		assert_memory_equal(&d, &before, sizeof(d));
		b[i] = 0;
	}
	/* The reason itself is the daemon's to judge: any value decodes. */
	rsm_peer_put32(b + 8, UINT32_MAX);
	assert_int_equal(rsm_rmt_revoked_dec(b, RSM_RMT_REVOKED_LEN, &d), 0);
	assert_int_equal(d.reason, UINT32_MAX);
}

/* ---- SIGNAL ---- */

static void
test_signal(void **state)
{
	struct rsm_rmt_signal m = { .handle = 0xfedcba9876543210ull,
	    .kind = RSM_HKIND_EXPORT, .flags = RSM_SIGPOST_NO_ACCUMULATE },
	    d, before;
	size_t len;

	(void)state;
	memset(b, 0xff, sizeof(b));
	assert_int_equal(rsm_rmt_signal_enc(b, &m), RSM_RMT_SIGNAL_LEN);
	assert_true(rsm_peer_get64(b) == m.handle);
	assert_int_equal(rsm_peer_get32(b + 8), RSM_HKIND_EXPORT);
	assert_int_equal(rsm_peer_get32(b + 12), RSM_SIGPOST_NO_ACCUMULATE);
	assert_int_equal(b[RSM_RMT_SIGNAL_LEN], 0xff);
	memset(&d, 0, sizeof(d));
	assert_int_equal(rsm_rmt_signal_dec(b, RSM_RMT_SIGNAL_LEN, &d), 0);
	assert_true(d.handle == m.handle);
	assert_int_equal(d.kind, RSM_HKIND_EXPORT);
	assert_int_equal(d.flags, RSM_SIGPOST_NO_ACCUMULATE);

	for (len = 0; len <= RSM_RMT_SIGNAL_LEN + 8; len++) {
		if (len == RSM_RMT_SIGNAL_LEN)
			continue;
		memset(&d, 0x5c, sizeof(d));
		before = d;
		assert_int_equal(rsm_rmt_signal_dec(b, len, &d), -1);
		assert_memory_equal(&d, &before, sizeof(d));
	}
	/* Kind and flags are the daemon's to judge: any value decodes. */
	rsm_peer_put32(b + 8, 0xdead);
	rsm_peer_put32(b + 12, UINT32_MAX);
	assert_int_equal(rsm_rmt_signal_dec(b, RSM_RMT_SIGNAL_LEN, &d), 0);
	assert_int_equal(d.kind, 0xdead);
	assert_int_equal(d.flags, UINT32_MAX);
}

static void
test_unreachable(void **state)
{
	struct rsm_rmt_unreachable m = { .handle = 0x1122334455667788ull,
	    .err = 111, .port = 41234, .family = RSM_CAP_INET6 }, d;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(m.addr); i++)
		m.addr[i] = (uint8_t)(0xa0 + i);
	memset(b, 0xff, sizeof(b));
	assert_int_equal(rsm_rmt_unreachable_enc(b, &m),
	    RSM_RMT_UNREACHABLE_LEN);
	assert_true(rsm_peer_get64(b) == m.handle);
	assert_int_equal(rsm_peer_get32(b + 8), 111);
	assert_int_equal(rsm_peer_get32(b + 12), 41234);
	assert_int_equal(b[16], RSM_CAP_INET6);
	assert_memory_equal(b + 20, m.addr, 16);
	assert_int_equal(b[RSM_RMT_UNREACHABLE_LEN], 0xff);
	memset(&d, 0, sizeof(d));
	assert_int_equal(rsm_rmt_unreachable_dec(b, RSM_RMT_UNREACHABLE_LEN,
	    &d), 0);
	assert_true(d.handle == m.handle);
	assert_int_equal(d.err, 111);
	assert_int_equal(d.port, 41234);
	assert_int_equal(d.family, RSM_CAP_INET6);
	assert_memory_equal(d.addr, m.addr, 16);
	for (len = 0; len <= RSM_RMT_UNREACHABLE_LEN + 8; len++)
		if (len != RSM_RMT_UNREACHABLE_LEN)
			assert_int_equal(rsm_rmt_unreachable_dec(b, len, &d), -1);
	/* Port 0, a port past 16 bits, an unknown family, padding: refused. */
	rsm_peer_put32(b + 12, 0);
	assert_int_equal(rsm_rmt_unreachable_dec(b, RSM_RMT_UNREACHABLE_LEN,
	    &d), -1);
	rsm_peer_put32(b + 12, 0x10000);
	assert_int_equal(rsm_rmt_unreachable_dec(b, RSM_RMT_UNREACHABLE_LEN,
	    &d), -1);
	rsm_peer_put32(b + 12, 41234);
	b[16] = 5;
	assert_int_equal(rsm_rmt_unreachable_dec(b, RSM_RMT_UNREACHABLE_LEN,
	    &d), -1);
	b[16] = RSM_CAP_INET;
	b[18] = 1;
	assert_int_equal(rsm_rmt_unreachable_dec(b, RSM_RMT_UNREACHABLE_LEN,
	    &d), -1);
	b[18] = 0;
	b[37] = 1;
	assert_int_equal(rsm_rmt_unreachable_dec(b, RSM_RMT_UNREACHABLE_LEN,
	    &d), -1);
	b[37] = 0;
	assert_int_equal(rsm_rmt_unreachable_dec(b, RSM_RMT_UNREACHABLE_LEN,
	    &d), 0);
}

/* Every body fits a peer REQUEST/REPLY, the largest CONNECT included. */
static void
test_sizes(void **state)
{
	(void)state;
	assert_true(RSM_RMT_CONNECT_FIXED + 4 * (size_t)RSM_RMT_GROUPS_MAX <=
	    RSM_PEER_BODY_MAX);
	assert_true(RSM_RMT_CONNECT_REPLY_LEN <= RSM_PEER_BODY_MAX);
	assert_true(RSM_RMT_CONNECT_REPLY_LEN >= 76);
	assert_true(RSM_RMT_UNREACHABLE_LEN <= RSM_PEER_BODY_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect_layout),
		cmocka_unit_test(test_connect_roundtrip),
		cmocka_unit_test(test_connect_encoder_caps_groups),
		cmocka_unit_test(test_connect_faults),
		cmocka_unit_test(test_reply_layout),
		cmocka_unit_test(test_reply_roundtrip),
		cmocka_unit_test(test_reply_faults),
		cmocka_unit_test(test_reply_addresses),
		cmocka_unit_test(test_handle),
		cmocka_unit_test(test_revoked),
		cmocka_unit_test(test_signal),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
