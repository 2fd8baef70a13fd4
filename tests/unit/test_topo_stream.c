/*
 * test_topo_stream.c - the library's end of a TOPOLOGY stream
 * (librsm/topo_stream.c): well-formed streams of any size up to
 * RSM_TOPO_REMOTE_MAX become the spec's one-block rsm_topology_t with
 * every remote in order, and streams that lie (counts that disagree, parts
 * out of order or past the announced end, an end that comes early,
 * entries naming controllers that do not exist, lengths that do not
 * match) give RSMERR_BAD_ADDR and no description.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rsmapi.h"
#include "rsm_proto.h"
#include "topo_stream.h"

#define NODE		7u
#define ROUTE		1u	/* the controller the peers are reached by */

/* A daemon's stream, message by message. */
struct stream {
	struct rsm_topo_rx rx;
	uint32_t	 nctlr;
	uint32_t	 sent;		/* remote entries sent so far */
	uint32_t	 parts;		/* PARTs sent so far */
};

static void
s_init(struct stream *s)
{
	memset(s, 0, sizeof(*s));
	rsm_topo_rx_init(&s->rx);
}

/* Messages with one entry more than allowed, to send too many. */
struct big_head {
	struct rsm_msg_topology	 t;
	struct rsm_wire_ctlr	 ctlr[RSM_TOPO_CTLR_MAX + 1];
};

struct big_part {
	struct rsm_msg_topology	 t;
	struct rsm_wire_remote	 remote[RSM_TOPO_PART_MAX + 1];
};

static void
s_head(struct stream *s, uint32_t nctlr, uint32_t nremote)
{
	struct big_head h;
	uint32_t i;

	memset(&h, 0, sizeof(h));
	h.t.kind = RSM_TOPO_HEAD;
	h.t.count = nctlr;
	h.t.node_id = NODE;
	h.t.nremote = nremote;
	assert_true(nctlr <= RSM_TOPO_CTLR_MAX + 1);
	for (i = 0; i < nctlr; i++) {
		strcpy(h.ctlr[i].name, i == 0 ? "shm0" : i == 1 ? "tcp0" :
		    "verbs0");
		h.ctlr[i].hwaddr = 100 + i;
	}
	s->nctlr = nctlr;
	rsm_topo_rx_more(&s->rx, &h, sizeof(h.t) + nctlr * sizeof(h.ctlr[0]));
}

/* Remote entry number i: node 1000 + i, active when i is even. */
static void
remote_fill(struct rsm_wire_remote *r, uint32_t i, uint32_t ctlr)
{
	memset(r, 0, sizeof(*r));
	r->node = 1000 + i;
	r->state = i % 2 ? RSM_TOPO_STATE_DOWN : RSM_CONNECTION_ACTIVE;
	r->local_ctlr = ctlr;
	strcpy(r->name, "tcp0");
	r->hwaddr = 1000 + i;
}

/* A PART of n entries from `first`, through controller ctlr. */
static void
s_part_at(struct stream *s, uint32_t first, uint32_t n, uint32_t ctlr)
{
	struct big_part p;
	uint32_t i;

	assert_true(n <= RSM_TOPO_PART_MAX + 1);
	memset(&p, 0, sizeof(p));
	p.t.kind = RSM_TOPO_PART;
	p.t.count = n;
	p.t.first = first;
	for (i = 0; i < n; i++)
		remote_fill(&p.remote[i], first + i, ctlr);
	rsm_topo_rx_more(&s->rx, &p, sizeof(p.t) + n * sizeof(p.remote[0]));
	s->sent = first + n;
	s->parts++;
}

/* The next n entries, as a daemon sends them. */
static void
s_part(struct stream *s, uint32_t n)
{
	s_part_at(s, s->sent, n, ROUTE);
}

/* Every entry up to total, in full parts. */
static void
s_parts(struct stream *s, uint32_t total)
{
	while (s->sent < total) {
		uint32_t n = total - s->sent;

		s_part(s, n > RSM_TOPO_PART_MAX ? RSM_TOPO_PART_MAX : n);
	}
}

static int
s_end_with(struct stream *s, uint32_t nremote, uint32_t nparts,
    rsm_topology_t **top)
{
	struct rsm_msg_topology e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.kind = RSM_TOPO_END;
	e.nremote = nremote;
	e.nparts = nparts;
	rc = rsm_topo_rx_end(&s->rx, &e, sizeof(e), top);
	rsm_topo_rx_free(&s->rx);
	return rc;
}

/* The END a daemon sends: the totals of what it sent. */
static int
s_end(struct stream *s, rsm_topology_t **top)
{
	return s_end_with(s, s->sent, s->parts, top);
}

/* A stream that must be refused: no description comes out. */
static void
refused(int rc, rsm_topology_t *top)
{
	assert_int_equal(rc, RSMERR_BAD_ADDR);
	assert_null(top);
}

/* Every pointer of the description stays inside its one block. */
static void
check_layout(const rsm_topology_t *t, uint32_t nctlr)
{
	const char *lo = (const char *)t;
	uint32_t i;

	assert_int_equal(t->topology_hdr.local_nodeid, NODE);
	assert_int_equal(t->topology_hdr.local_cntlr_count, nctlr);
	for (i = 0; i < nctlr; i++) {
		const char *c = (const char *)t->connections[i];

		assert_true(c > lo);
		assert_int_equal((uintptr_t)c % 8, 0);
		assert_int_equal(t->connections[i]->hdr.local_hwaddr, 100 + i);
		if (i > 0)
			assert_true(c > (const char *)t->connections[i - 1]);
	}
}

/* ---- well-formed streams ---- */

static void
expect_full(uint32_t total)
{
	struct stream s;
	rsm_topology_t *t = NULL;
	const rsm_connections_t *c;
	int i;

	s_init(&s);
	s_head(&s, 2, total);
	s_parts(&s, total);
	assert_int_equal(s_end(&s, &t), RSM_SUCCESS);
	assert_non_null(t);
	check_layout(t, 2);
	assert_string_equal(t->connections[0]->hdr.cntlr_name, "shm0");
	assert_int_equal(t->connections[0]->hdr.remote_cntlr_count, 0);
	c = t->connections[ROUTE];
	assert_string_equal(c->hdr.cntlr_name, "tcp0");
	assert_int_equal(c->hdr.remote_cntlr_count, (int)total);
	for (i = 0; i < (int)total; i++) {
		assert_int_equal(c->remote_cntlr[i].remote_nodeid, 1000 + i);
		assert_int_equal(c->remote_cntlr[i].remote_hwaddr, 1000 + i);
		assert_string_equal(c->remote_cntlr[i].remote_cntlrname,
		    "tcp0");
		assert_int_equal(c->remote_cntlr[i].connection_state,
		    i % 2 ? RSM_TOPO_STATE_DOWN : RSM_CONNECTION_ACTIVE);
	}
	rsm_free_interconnect_topology(t);
}

static void
test_no_remote(void **state)
{
	(void)state;
	expect_full(0);
}

static void
test_one_part(void **state)
{
	(void)state;
	expect_full(1);
	expect_full(RSM_TOPO_PART_MAX);
}

static void
test_many_parts(void **state)
{
	(void)state;
	expect_full(RSM_TOPO_PART_MAX + 1);
	expect_full(300);
}

static void
test_largest(void **state)
{
	(void)state;
	expect_full(RSM_TOPO_REMOTE_MAX);
}

/* Parts of any size, and remotes of several controllers, in any mix. */
static void
test_mixed_controllers(void **state)
{
	struct stream s;
	rsm_topology_t *t = NULL;
	uint32_t n[3] = { 0, 0, 0 }, i;
	int j;

	(void)state;
	s_init(&s);
	s_head(&s, 3, 10);
	s_part_at(&s, 0, 3, 2);
	n[2] += 3;
	s_part_at(&s, 3, 1, 0);
	n[0] += 1;
	s_part_at(&s, 4, 6, 1);
	n[1] += 6;
	assert_int_equal(s_end(&s, &t), RSM_SUCCESS);
	check_layout(t, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(t->connections[i]->hdr.remote_cntlr_count,
		    (int)n[i]);
	/* Within a controller, in the order of the stream. */
	for (j = 0; j < 3; j++)
		assert_int_equal(
		    t->connections[2]->remote_cntlr[j].remote_nodeid, 1000 + j);
	assert_int_equal(t->connections[0]->remote_cntlr[0].remote_nodeid,
	    1003);
	assert_int_equal(t->connections[1]->remote_cntlr[5].remote_nodeid,
	    1009);
	rsm_free_interconnect_topology(t);
}

/* ---- streams that lie ---- */

static void
test_end_disagrees_with_head(void **state)
{
	struct stream s;
	rsm_topology_t *t = NULL;

	(void)state;
	s_init(&s);
	s_head(&s, 2, 100);
	s_parts(&s, 100);
	refused(s_end_with(&s, 99, s.parts, &t), t);

	s_init(&s);
	s_head(&s, 2, 100);
	s_parts(&s, 100);
	refused(s_end_with(&s, 101, s.parts, &t), t);
}

static void
test_end_miscounts_parts(void **state)
{
	struct stream s;
	rsm_topology_t *t = NULL;

	(void)state;
	s_init(&s);
	s_head(&s, 2, 100);
	s_parts(&s, 100);
	refused(s_end_with(&s, 100, s.parts - 1, &t), t);

	s_init(&s);
	s_head(&s, 2, 100);
	s_parts(&s, 100);
	refused(s_end_with(&s, 100, s.parts + 1, &t), t);
}

/* The END comes before every announced entry did: the stream stopped. */
static void
test_stream_stops_early(void **state)
{
	struct stream s;
	rsm_topology_t *t = NULL;

	(void)state;
	/* The END tells the truth about what was sent, not the HEAD's. */
	s_init(&s);
	s_head(&s, 2, 300);
	s_part(&s, RSM_TOPO_PART_MAX);
	s_part(&s, RSM_TOPO_PART_MAX);
	refused(s_end(&s, &t), t);
	/* It repeats the HEAD's total, but the entries are missing. */
	s_init(&s);
	s_head(&s, 2, 300);
	s_part(&s, RSM_TOPO_PART_MAX);
	refused(s_end_with(&s, 300, 1, &t), t);
	/* Nothing after the HEAD. */
	s_init(&s);
	s_head(&s, 2, 1);
	refused(s_end_with(&s, 1, 0, &t), t);
	/* No HEAD at all. */
	s_init(&s);
	refused(s_end_with(&s, 0, 0, &t), t);
}

static void
test_too_many_parts(void **state)
{
	struct stream s;
	rsm_topology_t *t = NULL;

	(void)state;
	/* A part past the announced end, whatever the END then says. */
	s_init(&s);
	s_head(&s, 2, 70);
	s_parts(&s, 70);
	s_part(&s, 1);
	refused(s_end(&s, &t), t);
	s_init(&s);
	s_head(&s, 2, 70);
	s_parts(&s, 70);
	s_part(&s, 1);
	refused(s_end_with(&s, 70, 2, &t), t);
	/* A part that runs over the end. */
	s_init(&s);
	s_head(&s, 2, 70);
	s_part(&s, 64);
	s_part(&s, 7);
	refused(s_end(&s, &t), t);
	/* Parts when none was announced. */
	s_init(&s);
	s_head(&s, 2, 0);
	s_part(&s, 1);
	refused(s_end_with(&s, 0, 0, &t), t);
	/* A part larger than a part may be. */
	s_init(&s);
	s_head(&s, 2, 200);
	s_part(&s, RSM_TOPO_PART_MAX + 1);
	refused(s_end(&s, &t), t);
}

static void
test_parts_out_of_order(void **state)
{
	struct stream s;
	rsm_topology_t *t = NULL;

	(void)state;
	/* A gap. */
	s_init(&s);
	s_head(&s, 2, 20);
	s_part_at(&s, 0, 5, ROUTE);
	s_part_at(&s, 6, 14, ROUTE);
	refused(s_end_with(&s, 20, 2, &t), t);
	/* An overlap. */
	s_init(&s);
	s_head(&s, 2, 20);
	s_part_at(&s, 0, 10, ROUTE);
	s_part_at(&s, 9, 10, ROUTE);
	s_part_at(&s, 19, 1, ROUTE);
	refused(s_end_with(&s, 20, 3, &t), t);
	/* The same part twice. */
	s_init(&s);
	s_head(&s, 2, 20);
	s_part_at(&s, 0, 10, ROUTE);
	s_part_at(&s, 0, 10, ROUTE);
	refused(s_end_with(&s, 20, 2, &t), t);
	/* An empty part. */
	s_init(&s);
	s_head(&s, 2, 1);
	s_part_at(&s, 0, 0, ROUTE);
	s_part_at(&s, 0, 1, ROUTE);
	refused(s_end_with(&s, 1, 2, &t), t);
}

static void
test_head_faults(void **state)
{
	struct stream s;
	rsm_topology_t *t = NULL;

	(void)state;
	/* A part before the HEAD. */
	s_init(&s);
	s_part(&s, 1);
	s_head(&s, 2, 1);
	refused(s_end_with(&s, 1, 1, &t), t);
	/* Two HEADs. */
	s_init(&s);
	s_head(&s, 2, 1);
	s_head(&s, 2, 1);
	s_part(&s, 1);
	refused(s_end(&s, &t), t);
	/* More controllers or remotes than a stream may carry. */
	s_init(&s);
	s_head(&s, RSM_TOPO_CTLR_MAX + 1, 0);
	refused(s_end_with(&s, 0, 0, &t), t);
	s_init(&s);
	s_head(&s, 2, RSM_TOPO_REMOTE_MAX + 1);
	refused(s_end_with(&s, RSM_TOPO_REMOTE_MAX + 1, 0, &t), t);
	s_init(&s);
	s_head(&s, 2, UINT32_MAX);
	refused(s_end_with(&s, UINT32_MAX, 0, &t), t);
}

/* An entry must name one of the HEAD's controllers. */
static void
test_unknown_controller(void **state)
{
	struct stream s;
	rsm_topology_t *t = NULL;

	(void)state;
	s_init(&s);
	s_head(&s, 2, 3);
	s_part_at(&s, 0, 2, ROUTE);
	s_part_at(&s, 2, 1, 2);
	refused(s_end(&s, &t), t);
	s_init(&s);
	s_head(&s, 0, 1);
	s_part_at(&s, 0, 1, 0);
	refused(s_end(&s, &t), t);
	s_init(&s);
	s_head(&s, 2, 1);
	s_part_at(&s, 0, 1, UINT32_MAX);
	refused(s_end(&s, &t), t);
}

/* Lengths that disagree with the counts are never read past. */
static void
test_lengths(void **state)
{
	struct rsm_msg_topology_part p;
	struct rsm_msg_topology e;
	struct stream s;
	rsm_topology_t *t = NULL;
	unsigned char small[8] = { 0 };

	(void)state;
	memset(&p, 0, sizeof(p));
	p.t.kind = RSM_TOPO_PART;
	p.t.count = 2;
	remote_fill(&p.remote[0], 0, ROUTE);
	remote_fill(&p.remote[1], 1, ROUTE);
	/* A part one entry short of its count. */
	s_init(&s);
	s_head(&s, 2, 2);
	rsm_topo_rx_more(&s.rx, &p, sizeof(p.t) + sizeof(p.remote[0]));
	refused(s_end_with(&s, 2, 1, &t), t);
	/* A part a byte longer. */
	s_init(&s);
	s_head(&s, 2, 2);
	rsm_topo_rx_more(&s.rx, &p, sizeof(p.t) + 2 * sizeof(p.remote[0]) +
	    1);
	refused(s_end_with(&s, 2, 1, &t), t);
	/* Shorter than the fixed part, or nothing. */
	s_init(&s);
	s_head(&s, 2, 0);
	rsm_topo_rx_more(&s.rx, small, sizeof(small));
	refused(s_end_with(&s, 0, 0, &t), t);
	s_init(&s);
	s_head(&s, 2, 0);
	rsm_topo_rx_more(&s.rx, NULL, 0);
	refused(s_end_with(&s, 0, 0, &t), t);
	/* An END of the wrong length, or none, or another kind. */
	memset(&e, 0, sizeof(e));
	e.kind = RSM_TOPO_END;
	s_init(&s);
	s_head(&s, 2, 0);
	assert_int_equal(rsm_topo_rx_end(&s.rx, &e, sizeof(e) - 1, &t),
	    RSMERR_BAD_ADDR);
	assert_null(t);
	assert_int_equal(rsm_topo_rx_end(&s.rx, &e, sizeof(e) + 1, &t),
	    RSMERR_BAD_ADDR);
	assert_int_equal(rsm_topo_rx_end(&s.rx, NULL, 0, &t),
	    RSMERR_BAD_ADDR);
	e.kind = RSM_TOPO_PART;
	assert_int_equal(rsm_topo_rx_end(&s.rx, &e, sizeof(e), &t),
	    RSMERR_BAD_ADDR);
	assert_null(t);
	rsm_topo_rx_free(&s.rx);
	/* An END among the MORE replies. */
	e.kind = RSM_TOPO_END;
	s_init(&s);
	s_head(&s, 2, 0);
	rsm_topo_rx_more(&s.rx, &e, sizeof(e));
	refused(s_end_with(&s, 0, 0, &t), t);
	/* An unknown kind. */
	e.kind = 0;
	s_init(&s);
	s_head(&s, 2, 0);
	rsm_topo_rx_more(&s.rx, &e, sizeof(e));
	refused(s_end_with(&s, 0, 0, &t), t);
}

/* Names come out NUL-terminated even when the wire's were not. */
static void
test_names_bounded(void **state)
{
	struct rsm_msg_topology_part p;
	struct stream s;
	rsm_topology_t *t = NULL;
	const char *name;

	(void)state;
	memset(&p, 0, sizeof(p));
	p.t.kind = RSM_TOPO_PART;
	p.t.count = 1;
	remote_fill(&p.remote[0], 0, ROUTE);
	memset(p.remote[0].name, 'z', sizeof(p.remote[0].name));
	s_init(&s);
	s_head(&s, 2, 1);
	rsm_topo_rx_more(&s.rx, &p, sizeof(p.t) + sizeof(p.remote[0]));
	assert_int_equal(s_end_with(&s, 1, 1, &t), RSM_SUCCESS);
	name = t->connections[ROUTE]->remote_cntlr[0].remote_cntlrname;
	assert_int_equal(strlen(name), RSM_CTLR_NAME_MAX - 1);
	rsm_free_interconnect_topology(t);
}

/* rsm_free_interconnect_topology lives in topology.c: the one free. */
void
rsm_free_interconnect_topology(rsm_topology_t *t)
{
	free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_remote),
		cmocka_unit_test(test_one_part),
		cmocka_unit_test(test_many_parts),
		cmocka_unit_test(test_largest),
		cmocka_unit_test(test_mixed_controllers),
		cmocka_unit_test(test_end_disagrees_with_head),
		cmocka_unit_test(test_end_miscounts_parts),
		cmocka_unit_test(test_stream_stops_early),
		cmocka_unit_test(test_too_many_parts),
		cmocka_unit_test(test_parts_out_of_order),
		cmocka_unit_test(test_head_faults),
		cmocka_unit_test(test_unknown_controller),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_names_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
