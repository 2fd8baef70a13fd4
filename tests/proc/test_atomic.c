/*
 * test_atomic.c - the extensions of <rsm/rsm_atomic.h> between processes
 * of one node, through loopback, shm0 (CPU atomics on the shared memfd)
 * and tcp0 (executed by the daemon's data server):
 *
 * - argument checks and their errors, and what each operation returns;
 * - four importers hammering one 32-bit and one 64-bit counter while the
 *   exporter adds to the same words with CPU atomics: the final values
 *   are exact (also with two importers through shm0 and two through tcp0
 *   on the same words);
 * - a spin lock made of cas/swap whose critical section counts its
 *   holders (never more than one) and does a plain get + put increment
 *   that only mutual exclusion keeps exact;
 * - put-with-signal: on every signal the exporter sees, the bytes of that
 *   message (and of every earlier one) are already in its memory, in
 *   order.
 *
 * The exporter and the importers are forked children; they meet in
 * memory shared by fork (h_shared), the test process only starts the
 * daemon and checks exit codes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>
#include <rsm/rsm_atomic.h>

#include "../harness.h"

#define T_CHILD_S	40
#define T_WAIT		30000

#define NIMP		4
/* Operations per importer: tcp0 is a round trip each. */
#define N_SHM		20000u
#define N_TCP		1500u
#define LOCKS_SHM	2000u
#define LOCKS_TCP	150u
#define NMSG		200u
#define MSG_SLOT	512u
#define MSG_LEN		300u

/* Words of the segment. */
#define OFF_C32		0
#define OFF_C64		8
#define OFF_LOCK	64
#define OFF_HOLDERS	72
#define OFF_PLAIN	128

static uint32_t g_next_segid = 0x500700u;

/* What the children share (h_shared). */
struct shared {
	uint32_t	 segid;
	size_t		 size;
	uint32_t	 n;		/* per importer */
	uint32_t	 n_exp;		/* CPU atomics of the exporter */
	_Atomic int	 ready;		/* exporter published */
	_Atomic int	 go;		/* importers may start */
	_Atomic int	 done;		/* importers finished */
	_Atomic int	 unpublish;	/* exporter: unpublish now */
	_Atomic int	 unpublished;
	_Atomic int	 started;	/* importers connected */
	uint64_t	 c32, c64, plain;	/* exporter's final view */
};

static int
flag_set(void *arg)
{
	return atomic_load((_Atomic int *)arg) != 0;
}

static int
wait_flag(_Atomic int *f)
{
	return h_wait_until(flag_set, (void *)f, T_WAIT);
}

struct started_arg {
	struct shared *s;
	int want;
};

static int
all_started(void *arg)
{
	struct started_arg *a = arg;

	return atomic_load(&a->s->started) >= a->want;
}

/* ---- exporter child ---- */

static char g_exp_ctlr[16];

enum exp_mode { EXP_HOLD, EXP_ADD, EXP_SIGNALS };
static enum exp_mode g_mode;

/* Check message i in the exporter's memory: header, then its bytes. */
static int
msg_ok(const char *mem, uint32_t i)
{
	char want[MSG_LEN];
	uint32_t seq;

	memcpy(&seq, mem + (size_t)i * MSG_SLOT, sizeof(seq));
	if (seq != i + 1)
		return 0;
	h_fill(want, sizeof(want), 1000 + i);
	return memcmp(mem + (size_t)i * MSG_SLOT + sizeof(seq), want,
	    sizeof(want)) == 0;
}

static int
exporter(void *arg)
{
	struct shared *s = arg;
	rsmapi_controller_handle_t c;
	rsm_memseg_export_handle_t h;
	rsm_memseg_id_t id = s->segid;
	char *mem;
	uint32_t i;

	H_CHECK((mem = h_pages(s->size)) != NULL);
	H_CHECK_RC(rsm_get_controller(g_exp_ctlr, &c), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_create(c, &h, mem, s->size, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(h, &id, NULL, 0), RSM_SUCCESS);
	atomic_store(&s->ready, 1);
	switch (g_mode) {
	case EXP_ADD:
		/* Same-node CPU atomics on the words the importers hit. */
		H_CHECK(wait_flag(&s->go) == 0);
		for (i = 0; i < s->n_exp; i++) {
			__atomic_fetch_add((uint32_t *)(void *)(mem + OFF_C32),
			    1u, __ATOMIC_SEQ_CST);
			__atomic_fetch_add((uint64_t *)(void *)(mem + OFF_C64),
			    (uint64_t)1 << 33, __ATOMIC_SEQ_CST);
		}
		break;
	case EXP_SIGNALS:
		/*
		 * Every signal: the next message is in, whole.  A message
		 * whose bytes are not there yet when its signal is seen
		 * fails the test.
		 */
		for (i = 0; i < NMSG; i++) {
			H_CHECK_RC(rsm_intr_signal_wait(h, T_WAIT),
			    RSM_SUCCESS);
			if (!msg_ok(mem, i)) {
				fprintf(stderr, "signal %u: message not "
				    "visible\n", i);
				return 90;
			}
		}
		/* No signal more than messages. */
		H_CHECK_RC(rsm_intr_signal_wait(h, 0), RSMERR_TIMEOUT);
		break;
	case EXP_HOLD:
		break;
	}
	/* Hold the segment until the importers are done (or ask). */
	while (!atomic_load(&s->done)) {
		if (atomic_load(&s->unpublish) &&
		    !atomic_load(&s->unpublished)) {
			H_CHECK_RC(rsm_memseg_export_unpublish(h),
			    RSM_SUCCESS);
			atomic_store(&s->unpublished, 1);
		}
		h_sleep_ms(H_POLL_MS);
	}
	s->c32 = __atomic_load_n((uint32_t *)(void *)(mem + OFF_C32),
	    __ATOMIC_SEQ_CST);
	s->c64 = __atomic_load_n((uint64_t *)(void *)(mem + OFF_C64),
	    __ATOMIC_SEQ_CST);
	memcpy(&s->plain, mem + OFF_PLAIN, sizeof(s->plain));
	if (!atomic_load(&s->unpublished))
		H_CHECK_RC(rsm_memseg_export_unpublish(h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(h), RSM_SUCCESS);
	return 0;
}

/* ---- importer children ---- */

static char g_imp_ctlr[16];

static int
imp_counter(void *arg)
{
	struct shared *s = arg;
	struct h_imp ip;
	uint32_t i, o32, prev32 = 0;
	uint64_t o64;
	int rc;

	if ((rc = h_imp_connect(&ip, g_imp_ctlr, s->segid, RSM_PERM_RDWR)))
		return rc;
	atomic_fetch_add(&s->started, 1);
	H_CHECK(wait_flag(&s->go) == 0);
	for (i = 0; i < s->n; i++) {
		H_CHECK_RC(rsm_memseg_import_fetch_add32(ip.h, OFF_C32, 1, &o32),
		    RSM_SUCCESS);
		/* Others only add: what this one sees never goes back. */
		H_CHECK(i == 0 || o32 > prev32);
		prev32 = o32;
		H_CHECK_RC(rsm_memseg_import_fetch_add64(ip.h, OFF_C64,
		    (uint64_t)1 << 33, &o64), RSM_SUCCESS);
	}
	H_CHECK_RC(rsm_memseg_import_disconnect(ip.h), RSM_SUCCESS);
	return 0;
}

static int
imp_lock(void *arg)
{
	struct shared *s = arg;
	struct h_imp ip;
	uint32_t me = (uint32_t)getpid(), old, holders;
	uint64_t plain;
	uint32_t i;
	int rc;

	if ((rc = h_imp_connect(&ip, g_imp_ctlr, s->segid, RSM_PERM_RDWR)))
		return rc;
	atomic_fetch_add(&s->started, 1);
	H_CHECK(wait_flag(&s->go) == 0);
	for (i = 0; i < s->n; i++) {
		for (;;) {
			H_CHECK_RC(rsm_memseg_import_cas32(ip.h, OFF_LOCK, 0,
			    me, &old), RSM_SUCCESS);
			if (old == 0)
				break;
			H_CHECK(old != me);
		}
		/* Inside: alone, or the lock is broken. */
		H_CHECK_RC(rsm_memseg_import_fetch_add32(ip.h, OFF_HOLDERS, 1,
		    &holders), RSM_SUCCESS);
		if (holders != 0) {
			fprintf(stderr, "two holders of the lock\n");
			return 91;
		}
		/* A plain read-modify-write only the lock keeps exact. */
		H_CHECK_RC(rsm_memseg_import_get64(ip.h, OFF_PLAIN, &plain, 1),
		    RSM_SUCCESS);
		plain++;
		H_CHECK_RC(rsm_memseg_import_put64(ip.h, OFF_PLAIN, &plain, 1),
		    RSM_SUCCESS);
		H_CHECK_RC(rsm_memseg_import_fetch_add32(ip.h, OFF_HOLDERS,
		    (uint32_t)-1, &holders), RSM_SUCCESS);
		H_CHECK(holders == 1);
		H_CHECK_RC(rsm_memseg_import_swap32(ip.h, OFF_LOCK, 0, &old),
		    RSM_SUCCESS);
		H_CHECK(old == me);
	}
	H_CHECK_RC(rsm_memseg_import_disconnect(ip.h), RSM_SUCCESS);
	return 0;
}

static int
imp_signals(void *arg)
{
	struct shared *s = arg;
	char msg[sizeof(uint32_t) + MSG_LEN];
	struct h_imp ip;
	uint32_t i, seq;
	int rc;

	if ((rc = h_imp_connect(&ip, g_imp_ctlr, s->segid, RSM_PERM_RDWR)))
		return rc;
	for (i = 0; i < NMSG; i++) {
		seq = i + 1;
		memcpy(msg, &seq, sizeof(seq));
		h_fill(msg + sizeof(seq), MSG_LEN, 1000 + i);
		H_CHECK_RC(rsm_memseg_import_put_signal(ip.h,
		    (off_t)i * MSG_SLOT, msg, sizeof(msg), 0), RSM_SUCCESS);
	}
	H_CHECK_RC(rsm_memseg_import_disconnect(ip.h), RSM_SUCCESS);
	return 0;
}

/* Arguments, results, and a revoked import. */
static int
imp_args(void *arg)
{
	struct shared *s = arg;
	struct h_imp ip, ro;
	uint32_t o32 = 7;
	uint64_t o64 = 7;
	off_t size = (off_t)s->size;
	char b[16] = "abcdefgh";
	int rc;

	if ((rc = h_imp_connect(&ip, g_imp_ctlr, s->segid, RSM_PERM_RDWR)))
		return rc;
	if ((rc = h_imp_connect(&ro, g_imp_ctlr, s->segid, RSM_PERM_READ)))
		return rc;
	/* Handles. */
	H_CHECK_RC(rsm_memseg_import_fetch_add32(NULL, 0, 1, &o32),
	    RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_cas64((void *)&o64, 0, 0, 1, &o64),
	    RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_put_signal(NULL, 0, b, 8, 0),
	    RSMERR_BAD_SEG_HNDL);
	/* Offsets: alignment, then range. */
	H_CHECK_RC(rsm_memseg_import_fetch_add32(ip.h, 2, 1, &o32),
	    RSMERR_MISALIGNED_OFFSET);
	H_CHECK_RC(rsm_memseg_import_swap64(ip.h, 4, 1, &o64),
	    RSMERR_MISALIGNED_OFFSET);
	H_CHECK_RC(rsm_memseg_import_swap64(ip.h, -8, 1, &o64),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_cas32(ip.h, size, 0, 1, &o32),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_fetch_add64(ip.h, size - 8, 0, &o64),
	    RSM_SUCCESS);
	/* Rights: a read-only import may not. */
	H_CHECK_RC(rsm_memseg_import_fetch_add32(ro.h, 0, 1, &o32),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_put_signal(ro.h, 0, b, 8, 0),
	    RSMERR_PERM_DENIED);
	/* put_signal's own. */
	H_CHECK_RC(rsm_memseg_import_put_signal(ip.h, 0, NULL, 8, 0),
	    RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_put_signal(ip.h, 0, b, 8, 0x100),
	    RSMERR_BAD_ARGS_ERRORS);
	H_CHECK_RC(rsm_memseg_import_put_signal(ip.h, size - 4, b, 8, 0),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put_signal(ip.h, -1, b, 8, 0),
	    RSMERR_BAD_OFFSET);
	/* Results: 32 bits wrap, cas stores only on a match, swap. */
	H_CHECK_RC(rsm_memseg_import_swap32(ip.h, 16, 0xfffffffeu, &o32),
	    RSM_SUCCESS);
	H_CHECK(o32 == 0);
	H_CHECK_RC(rsm_memseg_import_fetch_add32(ip.h, 16, 3, &o32),
	    RSM_SUCCESS);
	H_CHECK(o32 == 0xfffffffeu);
	H_CHECK_RC(rsm_memseg_import_cas32(ip.h, 16, 5, 9, &o32), RSM_SUCCESS);
	H_CHECK(o32 == 1);
	H_CHECK_RC(rsm_memseg_import_cas32(ip.h, 16, 1, 9, &o32), RSM_SUCCESS);
	H_CHECK(o32 == 1);
	/* The neighbouring word is untouched by 32-bit operations. */
	H_CHECK_RC(rsm_memseg_import_get32(ip.h, 20, &o32, 1), RSM_SUCCESS);
	H_CHECK(o32 == 0);
	H_CHECK_RC(rsm_memseg_import_get32(ip.h, 16, &o32, 1), RSM_SUCCESS);
	H_CHECK(o32 == 9);
	H_CHECK_RC(rsm_memseg_import_swap64(ip.h, 24, UINT64_MAX - 1, &o64),
	    RSM_SUCCESS);
	H_CHECK(o64 == 0);
	H_CHECK_RC(rsm_memseg_import_fetch_add64(ip.h, 24, 2, &o64),
	    RSM_SUCCESS);
	H_CHECK(o64 == UINT64_MAX - 1);
	H_CHECK_RC(rsm_memseg_import_cas64(ip.h, 24, 0, 42, NULL),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get64(ip.h, 24, &o64, 1), RSM_SUCCESS);
	H_CHECK(o64 == 42);
	/* A put after earlier puts: the atomic sees them (same stream). */
	o64 = 1000;
	H_CHECK_RC(rsm_memseg_import_put64(ip.h, 32, &o64, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_fetch_add64(ip.h, 32, 1, &o64),
	    RSM_SUCCESS);
	H_CHECK(o64 == 1000);
	/* An explicit mapping of the second page: its window, its words. */
	if (strncmp(g_imp_ctlr, "tcp", 3) != 0) {
		void *addr = NULL;
		off_t pg = (off_t)h_pagesize();
		struct h_imp mp;

		if ((rc = h_imp_connect(&mp, g_imp_ctlr, s->segid,
		    RSM_PERM_RDWR)))
			return rc;
		H_CHECK_RC(rsm_memseg_import_map(mp.h, &addr, RSM_MAP_NONE,
		    RSM_PERM_RDWR, pg, (size_t)pg), RSM_SUCCESS);
		H_CHECK_RC(rsm_memseg_import_fetch_add32(mp.h, pg + 4, 5,
		    &o32), RSM_SUCCESS);
		H_CHECK(o32 == 0);
		H_CHECK(__atomic_load_n((uint32_t *)addr + 1,
		    __ATOMIC_SEQ_CST) == 5);
		H_CHECK_RC(rsm_memseg_import_fetch_add32(mp.h, 0, 1, &o32),
		    RSMERR_BAD_OFFSET);
		H_CHECK_RC(rsm_memseg_import_swap64(mp.h, 2 * pg, 1, &o64),
		    RSMERR_BAD_OFFSET);
		H_CHECK_RC(rsm_memseg_import_put_signal(mp.h, pg - 4, b, 8,
		    0), RSMERR_BAD_OFFSET);
		H_CHECK_RC(rsm_memseg_import_unmap(mp.h), RSM_SUCCESS);
		H_CHECK_RC(rsm_memseg_import_disconnect(mp.h), RSM_SUCCESS);
	}
	/* Revoked: the exporter unpublishes. */
	atomic_store(&s->unpublish, 1);
	H_CHECK(wait_flag(&s->unpublished) == 0);
	for (rc = RSM_SUCCESS; rc == RSM_SUCCESS; h_sleep_ms(H_POLL_MS))
		rc = rsm_memseg_import_fetch_add64(ip.h, 0, 1, &o64);
	H_CHECK_RC(rc, RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_put_signal(ip.h, 0, b, 8, 0),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_disconnect(ip.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ro.h), RSM_SUCCESS);
	/* Disconnected: not a handle any more. */
	H_CHECK_RC(rsm_memseg_import_swap32(ip.h, 0, 1, &o32),
	    RSMERR_BAD_SEG_HNDL);
	return 0;
}

/* ---- the test process ---- */

static struct shared *
start_exporter(const char *ectlr, enum exp_mode mode, size_t size,
    pid_t *pid)
{
	struct shared *s = h_shared(sizeof(*s));

	assert_non_null(s);
	s->segid = g_next_segid++;
	s->size = size;
	g_mode = mode;
	snprintf(g_exp_ctlr, sizeof(g_exp_ctlr), "%s", ectlr);
	*pid = h_spawn(exporter, s, (uid_t)-1, T_CHILD_S);
	assert_true(*pid > 0);
	assert_int_equal(wait_flag(&s->ready), 0);
	return s;
}

static void
finish(struct shared *s, pid_t *imps, int nimp, pid_t exp)
{
	int i;

	for (i = 0; i < nimp; i++)
		assert_int_equal(h_wait(imps[i], T_WAIT), 0);
	atomic_store(&s->done, 1);
	assert_int_equal(h_wait(exp, T_WAIT), 0);
}

static int
is_tcp(const char *ctlr)
{
	return strncmp(ctlr, "tcp", 3) == 0;
}

/* The exporter's controller: the importer's, or shm0 for tcp0. */
static const char *
exp_ctlr(const char *ctlr)
{
	return is_tcp(ctlr) ? "shm0" : ctlr;
}

static void
run_args(const char *ctlr)
{
	pid_t exp, imp;
	struct shared *s = start_exporter(exp_ctlr(ctlr), EXP_HOLD,
	    4 * h_pagesize(), &exp);

	snprintf(g_imp_ctlr, sizeof(g_imp_ctlr), "%s", ctlr);
	assert_true((imp = h_spawn(imp_args, s, (uid_t)-1, T_CHILD_S)) > 0);
	finish(s, &imp, 1, exp);
}

static void
run_counter(const char *ctlr)
{
	pid_t exp, imps[NIMP];
	struct started_arg sa;
	struct shared *s;
	uint64_t want32, want64;
	int i;

	s = start_exporter(exp_ctlr(ctlr), EXP_ADD,
	    h_pagesize(), &exp);
	s->n = is_tcp(ctlr) ? N_TCP : N_SHM;
	s->n_exp = s->n;
	snprintf(g_imp_ctlr, sizeof(g_imp_ctlr), "%s", ctlr);
	for (i = 0; i < NIMP; i++)
		assert_true((imps[i] = h_spawn(imp_counter, s, (uid_t)-1,
		    T_CHILD_S)) > 0);
	sa.s = s;
	sa.want = NIMP;
	assert_int_equal(h_wait_until(all_started, &sa, T_WAIT), 0);
	atomic_store(&s->go, 1);
	finish(s, imps, NIMP, exp);
	want32 = (uint64_t)(NIMP + 1) * s->n;
	want64 = want32 << 33;
	assert_int_equal(s->c32, want32);
	assert_int_equal(s->c64, want64);
}

/*
 * Two importers through shm0 (CPU atomics on their mapping) and two
 * through tcp0 (the data server's atomics on its own), with the
 * exporter's CPU atomics, on one word: atomic with each other.
 */
static void
test_counter_mixed(void **st)
{
	static const char *ctlr[NIMP] = { "shm0", "tcp0", "shm0", "tcp0" };
	pid_t exp, imps[NIMP];
	struct started_arg sa;
	struct shared *s;
	int i;

	(void)st;
	s = start_exporter("shm0", EXP_ADD, h_pagesize(), &exp);
	s->n = N_TCP;
	s->n_exp = N_TCP;
	for (i = 0; i < NIMP; i++) {
		snprintf(g_imp_ctlr, sizeof(g_imp_ctlr), "%s", ctlr[i]);
		assert_true((imps[i] = h_spawn(imp_counter, s, (uid_t)-1,
		    T_CHILD_S)) > 0);
	}
	sa.s = s;
	sa.want = NIMP;
	assert_int_equal(h_wait_until(all_started, &sa, T_WAIT), 0);
	atomic_store(&s->go, 1);
	finish(s, imps, NIMP, exp);
	assert_int_equal(s->c32, (uint64_t)(NIMP + 1) * s->n);
	assert_int_equal(s->c64, ((uint64_t)(NIMP + 1) * s->n) << 33);
}

static void
run_lock(const char *ctlr)
{
	pid_t exp, imps[NIMP];
	struct started_arg sa;
	struct shared *s;
	int i;

	s = start_exporter(exp_ctlr(ctlr), EXP_HOLD, h_pagesize(), &exp);
	s->n = is_tcp(ctlr) ? LOCKS_TCP : LOCKS_SHM;
	snprintf(g_imp_ctlr, sizeof(g_imp_ctlr), "%s", ctlr);
	for (i = 0; i < NIMP; i++)
		assert_true((imps[i] = h_spawn(imp_lock, s, (uid_t)-1,
		    T_CHILD_S)) > 0);
	sa.s = s;
	sa.want = NIMP;
	assert_int_equal(h_wait_until(all_started, &sa, T_WAIT), 0);
	atomic_store(&s->go, 1);
	finish(s, imps, NIMP, exp);
	assert_int_equal(s->plain, (uint64_t)NIMP * s->n);
}

static void
run_signals(const char *ctlr)
{
	pid_t exp, imp;
	struct shared *s = start_exporter(exp_ctlr(ctlr), EXP_SIGNALS,
	    (NMSG * MSG_SLOT + h_pagesize() - 1) / h_pagesize() *
	    h_pagesize(), &exp);

	snprintf(g_imp_ctlr, sizeof(g_imp_ctlr), "%s", ctlr);
	assert_true((imp = h_spawn(imp_signals, s, (uid_t)-1, T_CHILD_S)) > 0);
	finish(s, &imp, 1, exp);
}

#define PER_CTLR(name, ctlr)						\
static void test_args_##name(void **st) { (void)st; run_args(ctlr); }	\
static void test_counter_##name(void **st) { (void)st; run_counter(ctlr); } \
static void test_lock_##name(void **st) { (void)st; run_lock(ctlr); }	\
static void test_signals_##name(void **st) { (void)st; run_signals(ctlr); }

PER_CTLR(loopback, "loopback")
PER_CTLR(shm0, "shm0")
PER_CTLR(tcp0, "tcp0")

#define T(f) cmocka_unit_test_setup_teardown(f, h_test_setup, h_test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_args_loopback),
		T(test_args_shm0),
		T(test_args_tcp0),
		T(test_counter_loopback),
		T(test_counter_shm0),
		T(test_counter_tcp0),
		T(test_counter_mixed),
		T(test_lock_loopback),
		T(test_lock_shm0),
		T(test_lock_tcp0),
		T(test_signals_loopback),
		T(test_signals_shm0),
		T(test_signals_tcp0),
	};

	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
