/*
 * test_stats.c - rsmd's counters that are more than an increment
 * (rsmd/stats.c): nearest-rank percentiles, the round-trip window, the
 * error table and its copy to the wire.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rsmapi.h"
#include "stats.h"

static void
test_percentile_nearest_rank(void **state)
{
	uint64_t v[100];
	uint64_t one[1] = { 42 };
	uint64_t five[5] = { 10, 20, 30, 40, 50 };
	size_t i;

	(void)state;
	for (i = 0; i < 100; i++)
		v[i] = i + 1;
	assert_int_equal(stats_percentile(v, 100, 50), 50);
	assert_int_equal(stats_percentile(v, 100, 90), 90);
	assert_int_equal(stats_percentile(v, 100, 99), 99);
	assert_int_equal(stats_percentile(v, 100, 100), 100);
	/* One sample is every percentile. */
	assert_int_equal(stats_percentile(one, 1, 50), 42);
	assert_int_equal(stats_percentile(one, 1, 99), 42);
	/* ceil(0.5 * 5) = 3rd, ceil(0.9 * 5) = 5th. */
	assert_int_equal(stats_percentile(five, 5, 50), 30);
	assert_int_equal(stats_percentile(five, 5, 90), 50);
	assert_int_equal(stats_percentile(five, 5, 99), 50);
	assert_int_equal(stats_percentile(five, 5, 1), 10);
	/* Out of range: clamped; nothing: 0. */
	assert_int_equal(stats_percentile(five, 5, 0), 10);
	assert_int_equal(stats_percentile(five, 5, 500), 50);
	assert_int_equal(stats_percentile(five, 0, 50), 0);
}

static void
test_rtt_window(void **state)
{
	struct stats_rtt r;
	uint64_t out[4];
	uint32_t i;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(stats_rtt_percentiles(&r, out), 0);
	assert_int_equal(out[0] | out[1] | out[2] | out[3], 0);
	/* Unsorted samples 1..10 (in reverse). */
	for (i = 10; i >= 1; i--)
		stats_rtt_add(&r, i * 100);
	assert_int_equal(stats_rtt_percentiles(&r, out), 10);
	assert_int_equal(out[0], 500);
	assert_int_equal(out[1], 900);
	assert_int_equal(out[2], 1000);
	assert_int_equal(out[3], 1000);
	/* A full window forgets the oldest: 1000 samples of 7, then 64 of 3. */
	for (i = 0; i < 1000; i++)
		stats_rtt_add(&r, 7);
	for (i = 0; i < RSM_STATS_RTT_WINDOW; i++)
		stats_rtt_add(&r, 3);
	assert_int_equal(stats_rtt_percentiles(&r, out),
	    RSM_STATS_RTT_WINDOW);
	assert_int_equal(out[3], 3);
	/* One slow round trip in 64: max and p99 see it, p90 does not. */
	stats_rtt_add(&r, 90000);
	assert_int_equal(stats_rtt_percentiles(&r, out),
	    RSM_STATS_RTT_WINDOW);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 3);
	assert_int_equal(out[2], 90000);
	assert_int_equal(out[3], 90000);
}

static void
test_error_table(void **state)
{
	struct stats_errs e;
	struct rsm_msg_stats st;
	int code;

	(void)state;
	memset(&e, 0, sizeof(e));
	stats_err(&e, RSMERR_PERM_DENIED);
	stats_err(&e, RSMERR_PERM_DENIED);
	stats_err(&e, RSMERR_BAD_LENGTH);
	/* Not codes: never counted. */
	stats_err(&e, 0);
	stats_err(&e, -1);
	stats_err(&e, (int)RSM_STATS_CODE_MAX + 1);
	/* Past the table's distinct codes: "other". */
	for (code = 1; code <= 10; code++)
		stats_err(&e, code);
	memset(&st, 0, sizeof(st));
	stats_errs_wire(&e, &st);
	assert_int_equal(st.err[0].code, RSMERR_PERM_DENIED);
	assert_int_equal(st.err[0].count, 2);
	assert_int_equal(st.err[1].code, RSMERR_BAD_LENGTH);
	assert_int_equal(st.err[1].count, 1);
	/* Codes 1..6 took the other six entries, 7..10 are other. */
	assert_int_equal(st.err[2].code, 1);
	assert_int_equal(st.err[7].code, 6);
	assert_int_equal(st.errors_other, 4);
}

static void
test_data_wire(void **state)
{
	struct stats_data d;
	struct rsm_msg_stats st;

	(void)state;
	memset(&d, 0, sizeof(d));
	stats_op(&d, RSM_STATS_OP_PUT, 4096);
	stats_op(&d, RSM_STATS_OP_PUT, 100);
	stats_op(&d, RSM_STATS_OP_GET, 8);
	stats_op(&d, RSM_STATS_NOPS, 1);	/* no such kind: ignored */
	d.connects = 2;
	d.revocations = 1;
	memset(&st, 0, sizeof(st));
	stats_data_wire(&d, &st);
	assert_int_equal(st.ops[RSM_STATS_OP_PUT], 2);
	assert_int_equal(st.bytes[RSM_STATS_OP_PUT], 4196);
	assert_int_equal(st.ops[RSM_STATS_OP_GET], 1);
	assert_int_equal(st.bytes[RSM_STATS_OP_GET], 8);
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.revocations, 1);
	assert_int_equal(st.err[0].code, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percentile_nearest_rank),
		cmocka_unit_test(test_rtt_window),
		cmocka_unit_test(test_error_table),
		cmocka_unit_test(test_data_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
