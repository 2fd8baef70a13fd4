/*
 * test_util.c - the shared helpers of util/: the clock, the log rate
 * limiter, iovec skipping, the fork generation, the maps reader (both
 * the kernel query and the file scan) and the error names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "rsmapi.h"
#include "rsm_clock.h"
#include "rsm_err.h"
#include "rsm_forkgen.h"
#include "rsm_iov.h"
#include "rsm_maps.h"
#include "rsm_ratelimit.h"

static void
test_clock(void **state)
{
	uint64_t ns0, ms0, us0;
	struct timespec ts = { 0, 20 * 1000000L };

	(void)state;
	ns0 = rsm_now_ns();
	us0 = rsm_now_us();
	ms0 = rsm_now_ms();
	assert_int_equal(nanosleep(&ts, NULL), 0);
	assert_true(rsm_now_ns() - ns0 >= 20000000u);
	assert_true(rsm_now_us() - us0 >= 20000u);
	assert_true(rsm_now_ms() - ms0 >= 20u);
	/* Both read the monotonic clock: within a coarse tick of each other. */
	assert_true(rsm_now_ms() + 100 >= rsm_now_coarse_ms());
	assert_true(rsm_now_coarse_ms() + 100 >= rsm_now_ms());
}

static void
test_ratelimit(void **state)
{
	struct rsm_ratelimit rl = RSM_RATELIMIT_INIT(1000, 3);
	unsigned dropped = 99;
	int i;

	(void)state;
	/* Three lines a window, the rest counted. */
	for (i = 0; i < 3; i++) {
		assert_int_equal(rsm_ratelimit_allow(&rl, 5000 + i, &dropped), 1);
		assert_int_equal(dropped, 0);
	}
	for (i = 0; i < 5; i++)
		assert_int_equal(rsm_ratelimit_allow(&rl, 5500, &dropped), 0);
	/* The next window lets one through and reports what was held back. */
	assert_int_equal(rsm_ratelimit_allow(&rl, 6000, &dropped), 1);
	assert_int_equal(dropped, 5);
	assert_int_equal(rsm_ratelimit_allow(&rl, 6001, &dropped), 1);
	assert_int_equal(dropped, 0);
	/* Windows are aligned: 6999 is still the window of 6000. */
	assert_int_equal(rsm_ratelimit_allow(&rl, 6999, NULL), 1);
	assert_int_equal(rsm_ratelimit_allow(&rl, 6999, NULL), 0);
	assert_int_equal(rsm_ratelimit_allow(&rl, 7000, &dropped), 1);
	assert_int_equal(dropped, 1);
}

static void
test_ratelimit_one_per_interval(void **state)
{
	struct rsm_ratelimit rl = RSM_RATELIMIT_INIT(100, 1);

	(void)state;
	assert_int_equal(rsm_ratelimit_allow(&rl, 1000, NULL), 1);
	assert_int_equal(rsm_ratelimit_allow(&rl, 1099, NULL), 0);
	assert_int_equal(rsm_ratelimit_allow(&rl, 1100, NULL), 1);
}

static void
test_iov_skip(void **state)
{
	char a[4], b[8], c[2];
	struct iovec iov[3];
	int n;

	(void)state;
	iov[0].iov_base = a, iov[0].iov_len = sizeof(a);
	iov[1].iov_base = b, iov[1].iov_len = sizeof(b);
	iov[2].iov_base = c, iov[2].iov_len = sizeof(c);
	n = 3;
	rsm_iov_skip(iov, &n, 0);
	assert_int_equal(n, 3);
	assert_ptr_equal(iov[0].iov_base, a);
	/* Into the second entry: the first goes, the second starts later. */
	rsm_iov_skip(iov, &n, 6);
	assert_int_equal(n, 2);
	assert_ptr_equal(iov[0].iov_base, b + 2);
	assert_int_equal(iov[0].iov_len, 6);
	assert_ptr_equal(iov[1].iov_base, c);
	/* Exactly to an entry's end. */
	rsm_iov_skip(iov, &n, 6);
	assert_int_equal(n, 1);
	assert_ptr_equal(iov[0].iov_base, c);
	assert_int_equal(iov[0].iov_len, 2);
	/* Everything. */
	rsm_iov_skip(iov, &n, 2);
	assert_int_equal(n, 0);
}

static void
test_forkgen(void **state)
{
	unsigned gen;
	pid_t pid;
	int st;

	(void)state;
	gen = rsm_forkgen_arm();
	assert_false(rsm_forkgen_in_child(gen));
	assert_int_equal(rsm_forkgen_arm(), gen);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(rsm_forkgen_in_child(gen) ? 0 : 1);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* The parent is still the process that made it. */
	assert_false(rsm_forkgen_in_child(gen));
}

/* Three pages: private rw, a hole, shared read-only. */
static char *
three_pages(long pg)
{
	char *p = mmap(NULL, (size_t)pg * 3, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	assert_int_equal(munmap(p + pg, (size_t)pg), 0);
	assert_true(mmap(p + 2 * pg, (size_t)pg, PROT_READ,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != MAP_FAILED);
	return p;
}

static void
maps_check(int query)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = three_pages(pg);
	struct rsm_maps m;
	struct rsm_map v;

	assert_int_equal(rsm_maps_open(&m), 0);
	if (!query)
		m.query = 0;
	assert_int_equal(rsm_maps_find(&m, (uintptr_t)p, &v), RSM_MAPS_FOUND);
	assert_true(v.start <= (uintptr_t)p);
	assert_int_equal(v.end, (uintptr_t)(p + pg));
	assert_int_equal(v.flags, RSM_MAP_READ | RSM_MAP_WRITE);
	assert_int_equal(v.ino, 0);
	/* Forward from there: the hole, then the shared page. */
	assert_int_equal(rsm_maps_find(&m, (uintptr_t)(p + pg), &v),
	    RSM_MAPS_HOLE);
	assert_int_equal(rsm_maps_find(&m, (uintptr_t)(p + 2 * pg), &v),
	    RSM_MAPS_FOUND);
	assert_int_equal(v.start, (uintptr_t)(p + 2 * pg));
	assert_int_equal(v.flags, RSM_MAP_READ | RSM_MAP_SHARED);
	rsm_maps_close(&m);

	/* A file mapping: this program's text, with an inode. */
	assert_int_equal(rsm_maps_open(&m), 0);
	if (!query)
		m.query = 0;
	assert_int_equal(rsm_maps_find(&m, (uintptr_t)&maps_check, &v),
	    RSM_MAPS_FOUND);
	assert_true(v.flags & RSM_MAP_EXEC);
	assert_true(v.ino != 0);
	assert_true(v.dev != 0);
	rsm_maps_close(&m);
	munmap(p, (size_t)pg);
	munmap(p + 2 * pg, (size_t)pg);
}

static void
test_maps_query(void **state)
{
	(void)state;
	maps_check(1);
}

static void
test_maps_scan(void **state)
{
	(void)state;
	maps_check(0);
}

/* The two ways agree, field by field. */
static void
test_maps_same(void **state)
{
	struct rsm_maps m;
	struct rsm_map a, b;
	uintptr_t addr = (uintptr_t)&test_maps_same;

	(void)state;
	assert_int_equal(rsm_maps_open(&m), 0);
	assert_int_equal(rsm_maps_find(&m, addr, &a), RSM_MAPS_FOUND);
	rsm_maps_close(&m);
	assert_int_equal(rsm_maps_open(&m), 0);
	m.query = 0;
	assert_int_equal(rsm_maps_find(&m, addr, &b), RSM_MAPS_FOUND);
	rsm_maps_close(&m);
	assert_int_equal(a.start, b.start);
	assert_int_equal(a.end, b.end);
	assert_int_equal(a.pgoff, b.pgoff);
	assert_int_equal(a.ino, b.ino);
	assert_int_equal(a.dev, b.dev);
	assert_int_equal(a.flags, b.flags);
}

static void
test_err_names(void **state)
{
	(void)state;
	assert_string_equal(rsm_err_name(RSM_SUCCESS), "RSM_SUCCESS");
	assert_string_equal(rsm_err_name(RSMERR_PERM_DENIED),
	    "RSMERR_PERM_DENIED");
	assert_string_equal(rsm_err_name(RSMERR_QUEUE_FULL),
	    "RSMERR_QUEUE_FULL");
	assert_string_equal(rsm_err_name(46), "unknown error 46");
	assert_string_equal(rsm_err_name(-1), "unknown error -1");
	assert_string_equal(rsm_err_message(RSMERR_PERM_DENIED),
	    "permission denied");
	assert_string_equal(rsm_err_message(99), "unknown error");
}

/* Every listed name has a message and is found by its own number. */
static void
test_err_list(void **state)
{
	int n = 0;

	(void)state;
#define CHECK(name, num, msg) \
	assert_string_equal(rsm_err_name(num), #name); \
	assert_string_equal(rsm_err_message(num), msg); \
	assert_true(strlen(msg) > 0); \
	n++;
	RSM_ERR_LIST(CHECK)
#undef CHECK
	assert_int_equal(n, 81);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock),
		cmocka_unit_test(test_ratelimit),
		cmocka_unit_test(test_ratelimit_one_per_interval),
		cmocka_unit_test(test_iov_skip),
		cmocka_unit_test(test_forkgen),
		cmocka_unit_test(test_maps_query),
		cmocka_unit_test(test_maps_scan),
		cmocka_unit_test(test_maps_same),
		cmocka_unit_test(test_err_names),
		cmocka_unit_test(test_err_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
