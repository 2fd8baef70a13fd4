/*
 * test_ctlr.c - the controller table (proto/rsm_ctlr.c): which names
 * select which type and unit, which are refused, the lookups by wire
 * value, and that every row's flags describe a type the library, the
 * daemon and rsmadm can act on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rsm_ctlr.h"
#include "rsm_proto.h"
#include "rsm_remote.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define ALL_FLAGS	(RSM_CTLRF_THIS_NODE | RSM_CTLRF_FD | \
	RSM_CTLRF_EAGER | RSM_CTLRF_MAP | RSM_CTLRF_UNITS | RSM_CTLRF_BARE | \
	RSM_CTLRF_SERVED | RSM_CTLRF_PEER_ROUTE | RSM_CTLRF_PROBE_TCP)

/* Expect name to select the row of xport with unit. */
static void
expect_parse(const char *name, uint32_t xport, uint32_t unit)
{
	const struct rsm_ctlr_type *t;
	uint32_t u = 0xdeadbeefu;

	t = rsm_ctlr_parse(name, &u);
	if (t == NULL)
		fail_msg("\"%s\" refused", name);
	if (t->xport != xport || u != unit)
		fail_msg("\"%s\": xport %u unit %u, want %u %u", name,
		    (unsigned)t->xport, (unsigned)u, (unsigned)xport,
		    (unsigned)unit);
	/* The unit is optional for a caller that needs only the type. */
	assert_ptr_equal(rsm_ctlr_parse(name, NULL), t);
}

/* Expect name refused, and the unit left alone. */
static void
expect_refused(const char *name)
{
	uint32_t u = 0xdeadbeefu;

	if (rsm_ctlr_parse(name, &u) != NULL)
		fail_msg("\"%s\" accepted", name != NULL ? name : "(null)");
	assert_int_equal(u, 0xdeadbeefu);
}

static void
test_rows_parse_own_names(void **state)
{
	char name[RSM_CTLR_NAME_MAX];
	size_t i;

	(void)state;
	assert_true(rsm_ctlr_ntypes > 0);
	for (i = 0; i < rsm_ctlr_ntypes; i++) {
		const struct rsm_ctlr_type *t = &rsm_ctlr_types[i];

		snprintf(name, sizeof(name), "%s0", t->prefix);
		expect_parse(name, t->xport, 0);
		if (t->flags & RSM_CTLRF_BARE)
			expect_parse(t->prefix, t->xport, 0);
		else
			expect_refused(t->prefix);
		snprintf(name, sizeof(name), "%s1", t->prefix);
		if (t->flags & RSM_CTLRF_UNITS) {
			expect_parse(name, t->xport, 1);
			snprintf(name, sizeof(name), "%s%u", t->prefix,
			    (unsigned)UINT32_MAX);
			expect_parse(name, t->xport, UINT32_MAX);
		} else {
			expect_refused(name);
		}
		/* One past the largest unit is no unit, whatever the type. */
		snprintf(name, sizeof(name), "%s4294967296", t->prefix);
		expect_refused(name);
		snprintf(name, sizeof(name), "%s-0", t->prefix);
		expect_refused(name);
		snprintf(name, sizeof(name), "%s0x", t->prefix);
		expect_refused(name);
	}
}

static void
test_known_names(void **state)
{
	static const struct {
		const char *name;
		uint32_t xport;
		uint32_t unit;
	} names[] = {
		{ "loopback",	RSM_XPORT_LOOPBACK,	0 },
		{ "loopback0",	RSM_XPORT_LOOPBACK,	0 },
		{ "loopback7",	RSM_XPORT_LOOPBACK,	7 },
		{ "shm0",	RSM_XPORT_SHM,		0 },
		{ "tcp0",	RSM_XPORT_TCP,		0 },
		{ "verbs0",	RSM_XPORT_VERBS,	0 },
		{ "verbs12",	RSM_XPORT_VERBS,	12 },
		{ "ucx0",	RSM_XPORT_UCX,		0 },
		/* rsm_get_controller(3rsm): loopback takes any digits. */
		{ "loopback007", RSM_XPORT_LOOPBACK,	7 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(names); i++)
		expect_parse(names[i].name, names[i].xport, names[i].unit);
}

static void
test_refused_names(void **state)
{
	static const char *const names[] = {
		"shm1", "tcp1", "ucx1", "ucx", "ucx00", "tcp", "shm", "verbs",
		"verbs-1", "verbs 1",
		"verbs+1", "verbsx", "verbs1x", "verbs 0", "", "loop",
		"loopbackx", "loopback-1", " loopback", "Loopback", "shm0 ",
		"tcp0\n", "udp0", "0",
		/* One name per unit: no leading zeros (loopback excepted). */
		"shm00", "tcp00", "verbs01", "verbs00",
		/* Overlong units: past UINT32_MAX, and past unsigned long. */
		"loopback4294967296", "verbs4294967296",
		"verbs18446744073709551616",
		"verbs99999999999999999999999999999999",
	};
	size_t i;

	(void)state;
	for (i = 0; i < NELEM(names); i++)
		expect_refused(names[i]);
	expect_refused(NULL);
}

static void
test_lookups_round_trip(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < rsm_ctlr_ntypes; i++) {
		const struct rsm_ctlr_type *t = &rsm_ctlr_types[i];

		assert_ptr_equal(rsm_ctlr_by_xport(t->xport), t);
		assert_string_equal(rsm_ctlr_xport_name(t->xport), t->prefix);
		if (t->rmt_connect != 0)
			assert_ptr_equal(
			    rsm_ctlr_by_rmt_connect(t->rmt_connect), t);
		for (j = i + 1; j < rsm_ctlr_ntypes; j++) {
			const struct rsm_ctlr_type *o = &rsm_ctlr_types[j];
			size_t n = strlen(t->prefix), m = strlen(o->prefix);

			/* One wire value, one peer request per type. */
			assert_int_not_equal(t->xport, o->xport);
			if (t->rmt_connect != 0)
				assert_int_not_equal(t->rmt_connect,
				    o->rmt_connect);
			/* Else the first row would take the other's names. */
			assert_int_not_equal(strncmp(t->prefix, o->prefix,
			    n < m ? n : m), 0);
		}
	}
	assert_null(rsm_ctlr_by_xport(0));
	assert_null(rsm_ctlr_by_xport(UINT32_MAX));
	assert_string_equal(rsm_ctlr_xport_name(0), "?");
	assert_string_equal(rsm_ctlr_xport_name(UINT32_MAX), "?");
	assert_null(rsm_ctlr_by_rmt_connect(0));
	assert_null(rsm_ctlr_by_rmt_connect(RSM_RMT_CONNECT_FIXED));
}

static void
test_rows_consistent(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < rsm_ctlr_ntypes; i++) {
		const struct rsm_ctlr_type *t = &rsm_ctlr_types[i];
		const char *p;

		/* A prefix of letters: the first digit starts the unit. */
		assert_non_null(t->prefix);
		assert_true(t->prefix[0] != '\0');
		for (p = t->prefix; *p != '\0'; p++)
			assert_true(*p >= 'a' && *p <= 'z');
		assert_true(strlen(t->prefix) + 10 < RSM_CTLR_NAME_MAX);
		assert_non_null(t->what);
		assert_true(t->what[0] != '\0');
		assert_int_not_equal(t->xport, 0);
		assert_int_equal(t->flags & ~ALL_FLAGS, 0);
		if (t->flags & RSM_CTLRF_FD) {
			/* An fd import carries no capability: no kind. */
			assert_int_equal(t->cap_kind, 0);
		} else {
			/* A kind the wire accepts, of this row alone. */
			assert_true(t->cap_kind == RSM_CAPK_TCP ||
			    t->cap_kind == RSM_CAPK_VERBS ||
			    t->cap_kind == RSM_CAPK_UCX);
			for (j = 0; j < rsm_ctlr_ntypes; j++)
				if (j != i &&
				    !(rsm_ctlr_types[j].flags & RSM_CTLRF_FD))
					assert_int_not_equal(t->cap_kind,
					    rsm_ctlr_types[j].cap_kind);
			/* Only a memfd can be mapped by the importer. */
			assert_false(t->flags & RSM_CTLRF_MAP);
		}
		if (t->flags & RSM_CTLRF_THIS_NODE) {
			assert_int_equal(t->rmt_connect, 0);
			assert_false(t->flags & RSM_CTLRF_SERVED);
		}
		if (t->flags & RSM_CTLRF_SERVED)
			assert_int_not_equal(t->rmt_connect, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_parse_own_names),
		cmocka_unit_test(test_known_names),
		cmocka_unit_test(test_refused_names),
		cmocka_unit_test(test_lookups_round_trip),
		cmocka_unit_test(test_rows_consistent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
