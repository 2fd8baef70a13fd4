/*
 * test_faults.c - deaths (internals "Deaths", spec 5): an exporter killed
 * or exiting while an importer streams, an importer killed, and rsmd
 * killed while the library is idle or busy.
 *
 * Every library user is a forked child, so each test starts from a
 * library that has never talked to a daemon; the test process itself only
 * drives the children and asks rsmd for its segment list and counters.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <rsmapi.h>

#include "../harness.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

/* How soon a death must be noticed: generous, the mechanism is an EOF. */
#define NOTICE_MS	2000u
/* How fast a call must fail once rsmd is gone. */
#define FAST_MS		1000u
/* Upper bound of any wait for a child's message. */
#define MSG_MS		10000

#define SEG_PAGES	4u
#define PATTERN		0x5eed0000u

/* Commands from the test to a child. */
enum {
	CMD_READ = 1,		/* exporter: send back the u32 at an offset */
	CMD_EXIT,		/* exporter: exit(0) without destroying */
	CMD_GO,			/* start the next phase */
	CMD_FINISH		/* clean up and exit */
};

static struct h_rsmd daemon_;

static int
setup(void **state)
{
	h_test_setup(state);
	if (h_rsmd_start(&daemon_, NULL) != 0)
		return -1;
	*state = &daemon_;
	return 0;
}

static int
teardown(void **state)
{
	h_rsmd_cleanup(&daemon_);
	return h_test_teardown(state);
}

static int
send_u64(int fd, uint64_t v)
{
	return h_send(fd, &v, sizeof(v));
}

static int
recv_u64(int fd, uint64_t *v, int timeout_ms)
{
	return h_recv(fd, v, sizeof(*v), timeout_ms);
}

/*
 * Wait (bounded) until rsmd's counters satisfy the given maxima; the
 * STATUS connection itself counts as one client.  Returns 0 or -1 with the
 * last counters in *st.
 */
static int
wait_status(const struct h_rsmd *d, struct rsm_msg_status *st,
    uint64_t segments, uint64_t imports, uint64_t clients)
{
	uint64_t end = h_now_ms() + NOTICE_MS;

	for (;;) {
		memset(st, 0xff, sizeof(*st));
		if (h_rsmd_status(d, st) == 0 && st->segments <= segments &&
		    st->published <= segments && st->imports <= imports &&
		    st->clients <= clients + 1 &&
		    (segments != 0 || st->bytes_exported == 0))
			return 0;
		if (h_now_ms() >= end)
			return -1;
		h_sleep_ms(10);
	}
}

/* A progress counter a child bumps, polled by the parent. */
struct at_least {
	_Atomic uint64_t *n;
	uint64_t min;
};

static int
reached(void *arg)
{
	struct at_least *a = arg;

	return atomic_load(a->n) >= a->min;
}

/* Rounds a loop must have done before the test breaks what it uses. */
#define LOOP_ROUNDS	20u

static void
print_status(const struct rsm_msg_status *st)
{
	fprintf(stderr, "status: clients %llu segments %llu published %llu "
	    "imports %llu bytes %llu\n", (unsigned long long)st->clients,
	    (unsigned long long)st->segments,
	    (unsigned long long)st->published,
	    (unsigned long long)st->imports,
	    (unsigned long long)st->bytes_exported);
}

/* ---- exporter child ---- */

struct exp_arg {
	struct h_chan ch;
};

/*
 * Export and publish SEG_PAGES pages filled with PATTERN ^ index, send
 * the segment id, then serve CMD_READ until killed, or exit on CMD_EXIT
 * through exit(3) without destroying anything.
 */
static int
exporter_main(void *p)
{
	struct exp_arg *a = p;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t eh;
	rsm_memseg_id_t segid = 0;
	size_t size = SEG_PAGES * h_pagesize();
	volatile uint32_t *mem;
	uint32_t cmd, off;
	int fd;

	h_chan_side(&a->ch, 1);
	fd = a->ch.fd[1];
	H_CHECK((mem = h_pages(size)) != NULL);
	for (size_t i = 0; i < size / 4; i++)
		mem[i] = PATTERN ^ (uint32_t)i;
	H_CHECK_RC(rsm_get_controller("loopback", &ctlr), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_create(ctlr, &eh, (void *)mem, size, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(eh, &segid, NULL, 0),
	    RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, segid) == 0);
	for (;;) {
		H_CHECK(h_recv_u32(fd, &cmd, 25000) == 0);
		if (cmd == CMD_EXIT)
			exit(0);
		H_CHECK(cmd == CMD_READ);
		H_CHECK(h_recv_u32(fd, &off, MSG_MS) == 0);
		H_CHECK(off % 4 == 0 && off < size);
		H_CHECK(h_send_u32(fd, mem[off / 4]) == 0);
	}
}

static pid_t
start_exporter(struct exp_arg *a, uint32_t *segid)
{
	pid_t pid;

	assert_int_equal(h_chan_open(&a->ch), 0);
	pid = h_spawn(exporter_main, a, (uid_t)-1, 28);
	assert_true(pid > 0);
	h_chan_side(&a->ch, 0);
	assert_int_equal(h_recv_u32(a->ch.fd[0], segid, MSG_MS), 0);
	return pid;
}

/* The word at `off` in the exporter's own memory. */
static uint32_t
exporter_read(struct exp_arg *a, uint32_t off)
{
	uint32_t v = 0;

	assert_int_equal(h_send_u32(a->ch.fd[0], CMD_READ), 0);
	assert_int_equal(h_send_u32(a->ch.fd[0], off), 0);
	assert_int_equal(h_recv_u32(a->ch.fd[0], &v, MSG_MS), 0);
	return v;
}

/* ---- streaming importer child ---- */

struct imp_arg {
	struct h_chan ch;
	uint32_t segid;
	_Atomic uint64_t *rounds;	/* h_shared: the streamer's progress */
};

/* What the streaming importer reports when its loop ends. */
struct stream_report {
	uint64_t fail_ms;	/* h_now_ms() at the first failure */
	uint64_t rounds;
	uint32_t rc;		/* first error */
	uint32_t which;		/* 0 open, 1 put, 2 get, 3 close */
};

/*
 * Connect twice: handle h streams put/get under explicit barriers,
 * handle m maps the segment so the mapping can be checked after the
 * exporter's death.
 */
static int
importer_main(void *p)
{
	struct imp_arg *a = p;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_import_handle_t h, m;
	rsmapi_barrier_t bar;
	struct stream_report rep;
	size_t size = SEG_PAGES * h_pagesize();
	volatile uint32_t *map;
	void *addr = NULL;
	uint32_t cmd, v, got;
	uint64_t deadline;
	int fd, rc;

	h_chan_side(&a->ch, 1);
	fd = a->ch.fd[1];
	H_CHECK(h_recv_u32(fd, &a->segid, MSG_MS) == 0);
	H_CHECK_RC(rsm_get_controller("loopback", &ctlr), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(ctlr, H_NODE_ID, a->segid,
	    RSM_PERM_RDWR, &h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(ctlr, H_NODE_ID, a->segid,
	    RSM_PERM_RDWR, &m), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_map(m, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, size), RSM_SUCCESS);
	map = addr;
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);

	/* While the exporter lives, both paths reach its memory. */
	H_CHECK(map[1] == (PATTERN ^ 1u));
	v = 0xc0ffee01u;
	H_CHECK_RC(rsm_memseg_import_put32(h, 0, &v, 1), RSM_SUCCESS);
	map[2] = 0xbeef0002u;
	H_CHECK_RC(rsm_memseg_import_get32(h, 12, &got, 1), RSM_SUCCESS);
	H_CHECK(got == (PATTERN ^ 3u));
	H_CHECK(h_send_u32(fd, 1) == 0);		/* ready */
	H_CHECK(h_recv_u32(fd, &cmd, MSG_MS) == 0 && cmd == CMD_GO);

	/* Stream until the connection is lost; never longer than 10 s. */
	memset(&rep, 0, sizeof(rep));
	H_CHECK(h_send_u32(fd, 2) == 0);		/* streaming */
	deadline = h_now_ms() + 10000;
	for (v = 0;; v++) {
		uint32_t which = 0;

		rc = rsm_memseg_import_open_barrier(&bar);
		if (rc == RSM_SUCCESS) {
			which = 1;
			rc = rsm_memseg_import_put32(h, 4 * (v % 64), &v, 1);
		}
		if (rc == RSM_SUCCESS) {
			which = 2;
			rc = rsm_memseg_import_get32(h, 4 * (v % 64), &got, 1);
			if (rc == RSM_SUCCESS)
				H_CHECK(got == v);
		}
		if (rc == RSM_SUCCESS) {
			which = 3;
			rc = rsm_memseg_import_close_barrier(&bar);
		}
		if (rc != RSM_SUCCESS) {
			rep.fail_ms = h_now_ms();
			rep.rc = (uint32_t)rc;
			rep.which = which;
			break;
		}
		rep.rounds++;
		if (a->rounds != NULL)
			atomic_store(a->rounds, rep.rounds);
		H_CHECK(h_now_ms() < deadline);
	}

	/* Spec 5.2: every later close and implicit put/get is aborted. */
	H_CHECK_RC(rsm_memseg_import_open_barrier(&bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&bar), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_put32(h, 0, &v, 1), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_get32(h, 0, &got, 1),
	    RSMERR_CONN_ABORTED);
	/* Implicit mode with a fresh barrier: still aborted. */
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put32(h, 0, &v, 1), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_get32(h, 0, &got, 1),
	    RSMERR_CONN_ABORTED);

	/*
	 * The mapping now holds trash: the exporter's words are gone, and
	 * loads and stores through it do not fault.
	 */
	H_CHECK(map[1] != (PATTERN ^ 1u));
	H_CHECK(map[2] != 0xbeef0002u);
	H_CHECK(map[3] != (PATTERN ^ 3u));
	map[5] = 0x12345678u;
	H_CHECK(map[5] == 0x12345678u);
	map[size / 4 - 1] = 1u;

	H_CHECK(h_send(fd, &rep, sizeof(rep)) == 0);
	H_CHECK(h_recv_u32(fd, &cmd, MSG_MS) == 0 && cmd == CMD_FINISH);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_unmap(m), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(h), RSM_SUCCESS);
	H_CHECK_RC(rsm_release_controller(ctlr), RSM_SUCCESS);
	return 0;
}

/*
 * The exporter dies (kill -9, or exit without destroying) while an
 * importer streams: the importer learns it promptly and rsmd keeps
 * nothing of the segment.
 */
static void
exporter_death(struct h_rsmd *d, int by_kill)
{
	struct exp_arg ea;
	struct imp_arg ia;
	struct stream_report rep;
	struct rsm_msg_status st;
	struct rsm_msg_seginfo si;
	uint32_t segid, msg;
	uint64_t t_death;
	pid_t epid, ipid;
	int rc;

	epid = start_exporter(&ea, &segid);
	assert_true(h_rsmd_find_segid(d, segid, NULL) >= 0);

	assert_int_equal(h_chan_open(&ia.ch), 0);
	assert_non_null(ia.rounds = h_shared(sizeof(*ia.rounds)));
	ipid = h_spawn(importer_main, &ia, (uid_t)-1, 28);
	assert_true(ipid > 0);
	h_chan_side(&ia.ch, 0);
	assert_int_equal(h_send_u32(ia.ch.fd[0], segid), 0);
	assert_int_equal(h_recv_u32(ia.ch.fd[0], &msg, MSG_MS), 0);
	assert_int_equal(msg, 1);

	/* The importer's put and its store through the mapping arrived. */
	assert_int_equal(exporter_read(&ea, 0), 0xc0ffee01u);
	assert_int_equal(exporter_read(&ea, 8), 0xbeef0002u);
	assert_true(h_rsmd_find_segid(d, segid, &si) >= 0);
	assert_int_equal(si.nimporters, 2);
	assert_int_equal(si.owner_pid, (uint32_t)epid);

	assert_int_equal(h_send_u32(ia.ch.fd[0], CMD_GO), 0);
	assert_int_equal(h_recv_u32(ia.ch.fd[0], &msg, MSG_MS), 0);
	assert_int_equal(msg, 2);
	/* Well into the loop: it has gone round a few times. */
	{
		struct at_least al = { ia.rounds, LOOP_ROUNDS };

		assert_int_equal(h_wait_until(reached, &al, MSG_MS), 0);
	}

	t_death = h_now_ms();
	if (by_kill) {
		assert_int_equal(kill(epid, SIGKILL), 0);
		assert_int_equal(h_wait(epid, MSG_MS), 128 + SIGKILL);
	} else {
		assert_int_equal(h_send_u32(ea.ch.fd[0], CMD_EXIT), 0);
		assert_int_equal(h_wait(epid, MSG_MS), 0);
	}

	assert_int_equal(h_recv(ia.ch.fd[0], &rep, sizeof(rep), MSG_MS), 0);
	fprintf(stderr, "  importer: %llu rounds, stopped %llu ms after the "
	    "exporter's %s (call %u, error %u)\n",
	    (unsigned long long)rep.rounds,
	    (unsigned long long)(rep.fail_ms - t_death),
	    by_kill ? "kill" : "exit", rep.which, rep.rc);
	assert_int_equal(rep.rc, RSMERR_CONN_ABORTED);
	assert_true(rep.rounds > 0);
	/* Not before the death, and promptly after it. */
	assert_true(rep.fail_ms >= t_death);
	assert_true(rep.fail_ms - t_death < NOTICE_MS);

	/*
	 * The importer heard of it from rsmd, which had already dropped the
	 * segment: not listed, and nothing exported counted any more.
	 */
	rc = h_rsmd_segments(d, &si, 1);
	assert_int_equal(rc, 0);
	assert_true(h_rsmd_find_segid(d, segid, NULL) < 0);
	assert_int_equal(h_rsmd_status(d, &st), 0);
	assert_int_equal(st.segments, 0);
	assert_int_equal(st.published, 0);
	assert_int_equal(st.bytes_exported, 0);

	assert_int_equal(h_send_u32(ia.ch.fd[0], CMD_FINISH), 0);
	assert_int_equal(h_wait(ipid, MSG_MS), 0);
	h_chan_close(&ia.ch);
	h_chan_close(&ea.ch);
	h_pages_free((void *)ia.rounds, sizeof(*ia.rounds));

	/* Every counter back to zero: nothing leaked. */
	rc = wait_status(d, &st, 0, 0, 0);
	if (rc != 0)
		print_status(&st);
	assert_int_equal(rc, 0);
}

static void
test_exporter_kill9_while_streaming(void **state)
{
	exporter_death(*state, 1);
}

static void
test_exporter_exit_without_destroy(void **state)
{
	exporter_death(*state, 0);
}

/* ---- importer death ---- */

/* Connect, report, then wait for CMD_GO: put a word; CMD_FINISH: exit. */
static int
idle_importer_main(void *p)
{
	struct imp_arg *a = p;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_import_handle_t h;
	rsmapi_barrier_t bar;
	uint32_t cmd, v = 0xfeed0001u;
	int fd;

	h_chan_side(&a->ch, 1);
	fd = a->ch.fd[1];
	H_CHECK(h_recv_u32(fd, &a->segid, MSG_MS) == 0);
	H_CHECK_RC(rsm_get_controller("loopback", &ctlr), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(ctlr, H_NODE_ID, a->segid,
	    RSM_PERM_RDWR, &h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, 1) == 0);
	for (;;) {
		H_CHECK(h_recv_u32(fd, &cmd, 25000) == 0);
		if (cmd == CMD_FINISH)
			break;
		H_CHECK(cmd == CMD_GO);
		H_CHECK_RC(rsm_memseg_import_put32(h, 16, &v, 1), RSM_SUCCESS);
		H_CHECK(h_send_u32(fd, 2) == 0);
	}
	H_CHECK_RC(rsm_memseg_import_disconnect(h), RSM_SUCCESS);
	H_CHECK_RC(rsm_release_controller(ctlr), RSM_SUCCESS);
	return 0;
}

static int
has_importer(const struct rsm_msg_seginfo *si, pid_t pid)
{
	for (uint32_t i = 0; i < si->nimporters && i < RSM_INFO_IMPORTERS_MAX;
	    i++)
		if (si->importer_pid[i] == (uint32_t)pid)
			return 1;
	return 0;
}

static void
test_importer_kill9(void **state)
{
	struct h_rsmd *d = *state;
	struct exp_arg ea;
	struct imp_arg ia[2];
	struct rsm_msg_seginfo si;
	struct rsm_msg_status st;
	uint32_t segid, msg;
	pid_t epid, ipid[2];
	uint64_t t0;
	int i, rc;

	epid = start_exporter(&ea, &segid);
	for (i = 0; i < 2; i++) {
		assert_int_equal(h_chan_open(&ia[i].ch), 0);
		ipid[i] = h_spawn(idle_importer_main, &ia[i], (uid_t)-1, 28);
		assert_true(ipid[i] > 0);
		h_chan_side(&ia[i].ch, 0);
		assert_int_equal(h_send_u32(ia[i].ch.fd[0], segid), 0);
		assert_int_equal(h_recv_u32(ia[i].ch.fd[0], &msg, MSG_MS), 0);
		assert_int_equal(msg, 1);
	}
	assert_true(h_rsmd_find_segid(d, segid, &si) >= 0);
	assert_int_equal(si.nimporters, 2);
	assert_true(has_importer(&si, ipid[0]));
	assert_true(has_importer(&si, ipid[1]));

	t0 = h_now_ms();
	assert_int_equal(kill(ipid[0], SIGKILL), 0);
	assert_int_equal(h_wait(ipid[0], MSG_MS), 128 + SIGKILL);
	for (;;) {
		assert_true(h_rsmd_find_segid(d, segid, &si) >= 0);
		if (!has_importer(&si, ipid[0]))
			break;
		assert_true(h_now_ms() - t0 < NOTICE_MS);
		h_sleep_ms(5);
	}
	assert_int_equal(si.nimporters, 1);
	assert_true(has_importer(&si, ipid[1]));
	assert_int_equal(h_rsmd_status(d, &st), 0);
	assert_int_equal(st.imports, 1);
	assert_int_equal(st.segments, 1);

	/* The other importer and the exporter carry on. */
	assert_int_equal(h_send_u32(ia[1].ch.fd[0], CMD_GO), 0);
	assert_int_equal(h_recv_u32(ia[1].ch.fd[0], &msg, MSG_MS), 0);
	assert_int_equal(msg, 2);
	assert_int_equal(exporter_read(&ea, 16), 0xfeed0001u);

	assert_int_equal(h_send_u32(ia[1].ch.fd[0], CMD_FINISH), 0);
	assert_int_equal(h_wait(ipid[1], MSG_MS), 0);
	assert_true(h_rsmd_find_segid(d, segid, &si) >= 0);
	assert_int_equal(si.nimporters, 0);
	assert_int_equal(h_send_u32(ea.ch.fd[0], CMD_EXIT), 0);
	assert_int_equal(h_wait(epid, MSG_MS), 0);
	for (i = 0; i < 2; i++)
		h_chan_close(&ia[i].ch);
	h_chan_close(&ea.ch);
	rc = wait_status(d, &st, 0, 0, 0);
	if (rc != 0)
		print_status(&st);
	assert_int_equal(rc, 0);
}

/* ---- rsmd death while idle ---- */

struct lib_arg {
	struct h_chan ch;
	_Atomic uint64_t *rounds;	/* h_shared or NULL: loop progress */
};

/*
 * Export, publish and import its own segment, then (after the test kills
 * rsmd) check that every call fails fast as the internals doc says, that
 * destroy gives the memory back with its contents, and (after the test
 * restarts rsmd) that everything works again.
 */
static int
rsmd_idle_main(void *p)
{
	struct lib_arg *a = p;
	rsmapi_controller_handle_t ctlr, c2;
	rsm_memseg_export_handle_t eh, eh2;
	rsm_memseg_import_handle_t ih, ih2;
	rsmapi_barrier_t bar;
	rsm_memseg_id_t segid = 0, segid2 = 0;
	size_t pg = h_pagesize(), size = SEG_PAGES * pg;
	volatile uint32_t *mem, *mem2;
	uint32_t cmd, v = 0xabcd0001u, got = 0;
	uint64_t t0, t;
	int fd, rc;

	h_chan_side(&a->ch, 1);
	fd = a->ch.fd[1];
	H_CHECK((mem = h_pages(size)) != NULL);
	H_CHECK((mem2 = h_pages(size)) != NULL);
	for (size_t i = 0; i < size / 4; i++)
		mem[i] = PATTERN ^ (uint32_t)i;
	H_CHECK_RC(rsm_get_controller("loopback", &ctlr), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_create(ctlr, &eh, (void *)mem, size, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(eh, &segid, NULL, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(ctlr, H_NODE_ID, segid,
	    RSM_PERM_RDWR, &ih), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(ih, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put32(ih, 4, &v, 1), RSM_SUCCESS);
	H_CHECK(mem[1] == v);
	H_CHECK(h_send_u32(fd, 1) == 0);		/* ready */
	H_CHECK(h_recv_u32(fd, &cmd, MSG_MS) == 0 && cmd == CMD_GO);

	/* rsmd is dead now; the library is idle.  Everything fails fast. */
	t0 = h_now_ms();
	H_CHECK_RC(rsm_get_controller("loopback", &c2),
	    RSMERR_CTLR_NOT_PRESENT);
	H_CHECK_RC(rsm_get_controller(NULL, &c2), RSMERR_CTLR_NOT_PRESENT);
	/* Stale import: aborted; barrier closes aborted. */
	H_CHECK_RC(rsm_memseg_import_put32(ih, 4, &v, 1),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_get32(ih, 4, &got, 1),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&bar), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_intr_signal_post(ih, 0), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_intr_signal_wait(ih, 5000), RSMERR_CONN_ABORTED);
	/* Stale export: aborted. */
	H_CHECK_RC(rsm_memseg_export_unpublish(eh), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_export_republish(eh, NULL, 0),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_intr_signal_post(eh, 0), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_intr_signal_wait(eh, 5000), RSMERR_CONN_ABORTED);
	/* No daemon to create with: the spec's "cannot open /dev/rsm". */
	H_CHECK_RC(rsm_memseg_export_create(ctlr, &eh2, (void *)mem2, size,
	    0), RSMERR_INSUFFICIENT_RESOURCES);
	H_CHECK(mem2[0] == 0);
	mem2[0] = 7;		/* still ordinary memory */
	/* New connects find no daemon either. */
	rc = rsm_memseg_import_connect(ctlr, H_NODE_ID, segid, RSM_PERM_RDWR,
	    &ih2);
	H_CHECK(rc == RSMERR_CTLR_NOT_PRESENT || rc == RSMERR_CONN_ABORTED);
	/* Disconnect and destroy succeed locally. */
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ih), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(eh), RSM_SUCCESS);
	t = h_now_ms() - t0;
	if (t >= FAST_MS)
		fprintf(stderr, "calls after rsmd's death took %llu ms\n",
		    (unsigned long long)t);
	H_CHECK(t < FAST_MS);
	/* The exporter's memory is its own again, contents included. */
	H_CHECK(mem[0] == PATTERN);
	H_CHECK(mem[1] == v);
	H_CHECK(mem[size / 4 - 1] == (PATTERN ^ (uint32_t)(size / 4 - 1)));
	mem[0] = 42;
	H_CHECK(mem[0] == 42);
	/* Handles that were destroyed are gone. */
	H_CHECK_RC(rsm_memseg_export_destroy(eh), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_disconnect(ih), RSMERR_BAD_SEG_HNDL);
	/* The old controller handle stays valid to release. */
	H_CHECK_RC(rsm_release_controller(ctlr), RSM_SUCCESS);

	H_CHECK(h_send_u32(fd, 2) == 0);		/* checked */
	H_CHECK(h_recv_u32(fd, &cmd, MSG_MS) == 0 && cmd == CMD_GO);

	/* rsmd is back: fresh controller, export, import all work. */
	H_CHECK_RC(rsm_get_controller("loopback", &c2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_create(c2, &eh2, (void *)mem2, size, 0),
	    RSM_SUCCESS);
	H_CHECK(mem2[0] == 7);
	H_CHECK_RC(rsm_memseg_export_publish(eh2, &segid2, NULL, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(c2, H_NODE_ID, segid2,
	    RSM_PERM_RDWR, &ih2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(ih2, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get32(ih2, 0, &got, 1), RSM_SUCCESS);
	H_CHECK(got == 7);
	v = 0x600d0001u;
	H_CHECK_RC(rsm_memseg_import_put32(ih2, 8, &v, 1), RSM_SUCCESS);
	H_CHECK(mem2[2] == v);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&bar), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, 3) == 0);		/* works again */
	H_CHECK(h_recv_u32(fd, &cmd, MSG_MS) == 0 && cmd == CMD_FINISH);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ih2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_unpublish(eh2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(eh2), RSM_SUCCESS);
	H_CHECK(mem2[2] == v);
	H_CHECK_RC(rsm_release_controller(c2), RSM_SUCCESS);
	return 0;
}

struct threads_below {
	pid_t pid;
	int n;
};

static int
fewer_threads(void *arg)
{
	struct threads_below *tb = arg;
	int n = h_threads(tb->pid);

	return n >= 1 && n < tb->n;
}

static void
test_rsmd_kill9_idle(void **state)
{
	struct h_rsmd *d = *state;
	struct lib_arg la;
	struct rsm_msg_seginfo si;
	struct rsm_msg_status st;
	uint32_t msg;
	pid_t pid;
	int rc, nthreads;

	la.rounds = NULL;
	assert_int_equal(h_chan_open(&la.ch), 0);
	pid = h_spawn(rsmd_idle_main, &la, (uid_t)-1, 28);
	assert_true(pid > 0);
	h_chan_side(&la.ch, 0);
	assert_int_equal(h_recv_u32(la.ch.fd[0], &msg, MSG_MS), 0);
	assert_int_equal(msg, 1);
	assert_int_equal(h_rsmd_segments(d, &si, 1), 1);
	/* The child's threads: its own and the library's receiver. */
	nthreads = h_threads(pid);
	assert_true(nthreads >= 2);

	h_rsmd_kill9(d);
	/*
	 * The receiver thread exits once it has seen the EOF: then the
	 * library knows the daemon is gone, and is idle.
	 */
	{
		struct threads_below tb = { pid, nthreads };

		assert_int_equal(h_wait_until(fewer_threads, &tb, MSG_MS), 0);
	}
	assert_int_equal(h_send_u32(la.ch.fd[0], CMD_GO), 0);
	assert_int_equal(h_recv_u32(la.ch.fd[0], &msg, MSG_MS), 0);
	assert_int_equal(msg, 2);

	assert_int_equal(h_rsmd_restart(d), 0);
	/* A new daemon instance knows nothing of the old segments. */
	assert_int_equal(h_rsmd_segments(d, &si, 1), 0);
	assert_int_equal(h_send_u32(la.ch.fd[0], CMD_GO), 0);
	assert_int_equal(h_recv_u32(la.ch.fd[0], &msg, MSG_MS), 0);
	assert_int_equal(msg, 3);
	assert_int_equal(h_rsmd_segments(d, &si, 1), 1);
	assert_int_equal(si.owner_pid, (uint32_t)pid);
	assert_int_equal(si.nimporters, 1);
	assert_int_equal(h_send_u32(la.ch.fd[0], CMD_FINISH), 0);
	assert_int_equal(h_wait(pid, MSG_MS), 0);
	h_chan_close(&la.ch);
	rc = wait_status(d, &st, 0, 0, 0);
	if (rc != 0)
		print_status(&st);
	assert_int_equal(rc, 0);
}

/* ---- rsmd death while calls are pending ---- */

struct waiter {
	void		*memseg;
	int		 rc;
	uint64_t	 done_ms;
	pthread_t	 tid;
	_Atomic pid_t	 task;		/* its kernel thread id, once run */
};

static int
task_known(void *arg)
{
	struct waiter *w = arg;

	return atomic_load(&w->task) != 0;
}

static void *
waiter_main(void *p)
{
	struct waiter *w = p;

	atomic_store(&w->task, (pid_t)syscall(SYS_gettid));
	/* Far longer than the test may take: only the death can end it. */
	w->rc = rsm_intr_signal_wait(w->memseg, 25000);
	w->done_ms = h_now_ms();
	return NULL;
}

/* Join a thread within timeout_ms; 0 when it ended. */
static int
join_bounded(pthread_t tid, int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(tid, NULL, &ts);
}

/*
 * Two threads blocked in rsm_intr_signal_wait (on an export and on an
 * import handle, 25 s timeouts) when rsmd is killed: both return
 * RSMERR_CONN_ABORTED at once.  Reports the later return time.
 */
static int
rsmd_waiters_main(void *p)
{
	struct lib_arg *a = p;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t eh;
	rsm_memseg_import_handle_t ih;
	rsm_memseg_id_t segid = 0;
	struct waiter w[2];
	size_t size = SEG_PAGES * h_pagesize();
	uint64_t t_kill, last = 0;
	uint32_t cmd;
	void *mem;
	int fd, i;

	h_chan_side(&a->ch, 1);
	fd = a->ch.fd[1];
	H_CHECK((mem = h_pages(size)) != NULL);
	H_CHECK_RC(rsm_get_controller("loopback", &ctlr), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_create(ctlr, &eh, mem, size, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(eh, &segid, NULL, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(ctlr, H_NODE_ID, segid,
	    RSM_PERM_RDWR, &ih), RSM_SUCCESS);
	memset(w, 0, sizeof(w));
	w[0].memseg = eh;
	w[1].memseg = ih;
	for (i = 0; i < 2; i++) {
		w[i].rc = -1;
		H_CHECK(pthread_create(&w[i].tid, NULL, waiter_main, &w[i]) ==
		    0);
	}
	/* Both threads blocked in their waits (two fds polled each). */
	for (i = 0; i < 2; i++) {
		H_CHECK(h_wait_until(task_known, &w[i], MSG_MS) == 0);
		H_CHECK(h_wait_in_poll(atomic_load(&w[i].task), 2, -1,
		    MSG_MS) == 0);
	}
	/* The segment id lets a second process loop on connect. */
	H_CHECK(h_send_u32(fd, segid) == 0);
	H_CHECK(recv_u64(fd, &t_kill, MSG_MS) == 0);
	for (i = 0; i < 2; i++) {
		H_CHECK(join_bounded(w[i].tid, 5000) == 0);
		H_CHECK_RC(w[i].rc, RSMERR_CONN_ABORTED);
		H_CHECK(w[i].done_ms >= t_kill);
		if (w[i].done_ms > last)
			last = w[i].done_ms;
	}
	H_CHECK(send_u64(fd, last - t_kill) == 0);
	H_CHECK(h_recv_u32(fd, &cmd, MSG_MS) == 0 && cmd == CMD_FINISH);
	H_CHECK_RC(rsm_memseg_import_disconnect(ih), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(eh), RSM_SUCCESS);
	H_CHECK_RC(rsm_release_controller(ctlr), RSM_SUCCESS);
	return 0;
}

/* What the connect loop reports. */
struct loop_report {
	uint64_t fail_ms;	/* first failure */
	uint64_t rounds;
	uint64_t slowest_after_ms;	/* slowest call after the failure */
	uint32_t rc;		/* first error */
	uint32_t later_rc;	/* error of the last call after it */
};

/*
 * Connect and disconnect in a loop until rsmd dies, then keep calling
 * for a while: every call must fail, each fast.
 */
static int
connect_loop_main(void *p)
{
	struct lib_arg *a = p;
	rsmapi_controller_handle_t ctlr, c2;
	rsm_memseg_import_handle_t ih;
	struct loop_report rep;
	uint32_t segid, cmd;
	uint64_t deadline;
	int fd, rc;

	h_chan_side(&a->ch, 1);
	fd = a->ch.fd[1];
	H_CHECK(h_recv_u32(fd, &segid, MSG_MS) == 0);
	H_CHECK_RC(rsm_get_controller("loopback", &ctlr), RSM_SUCCESS);
	memset(&rep, 0, sizeof(rep));
	H_CHECK(h_send_u32(fd, 1) == 0);		/* looping */
	deadline = h_now_ms() + 10000;
	for (;;) {
		rc = rsm_memseg_import_connect(ctlr, H_NODE_ID, segid,
		    RSM_PERM_RDWR, &ih);
		if (rc == RSM_SUCCESS) {
			/* Local cleanup succeeds even on a dead link. */
			H_CHECK_RC(rsm_memseg_import_disconnect(ih),
			    RSM_SUCCESS);
			rep.rounds++;
			if (a->rounds != NULL)
				atomic_store(a->rounds, rep.rounds);
			H_CHECK(h_now_ms() < deadline);
			continue;
		}
		rep.fail_ms = h_now_ms();
		rep.rc = (uint32_t)rc;
		break;
	}
	/*
	 * Later calls: each fails, fast.  Until the receiver thread has read
	 * the EOF, a send on the dead socket is aborted; after that no daemon
	 * answers the reconnect.  Keep calling (at least 200 times, at most
	 * FAST_MS) until that state is reached.
	 */
	deadline = h_now_ms() + FAST_MS;
	for (int i = 0;; i++) {
		uint64_t t0 = h_now_ms(), dt;

		rc = rsm_memseg_import_connect(ctlr, H_NODE_ID, segid,
		    RSM_PERM_RDWR, &ih);
		dt = h_now_ms() - t0;
		if (dt > rep.slowest_after_ms)
			rep.slowest_after_ms = dt;
		H_CHECK(rc == RSMERR_CONN_ABORTED ||
		    rc == RSMERR_CTLR_NOT_PRESENT);
		rep.later_rc = (uint32_t)rc;
		if (i >= 200 && rc == RSMERR_CTLR_NOT_PRESENT)
			break;
		if (h_now_ms() >= deadline)
			break;
	}
	H_CHECK_RC(rsm_get_controller("loopback", &c2),
	    RSMERR_CTLR_NOT_PRESENT);
	H_CHECK(h_send(fd, &rep, sizeof(rep)) == 0);
	H_CHECK(h_recv_u32(fd, &cmd, MSG_MS) == 0 && cmd == CMD_FINISH);
	H_CHECK_RC(rsm_release_controller(ctlr), RSM_SUCCESS);
	return 0;
}

static void
test_rsmd_kill9_pending(void **state)
{
	struct h_rsmd *d = *state;
	struct lib_arg wa, ca;
	struct loop_report rep;
	uint32_t segid, msg;
	uint64_t t_kill, wait_ms;
	pid_t wpid, cpid;

	wa.rounds = NULL;
	assert_non_null(ca.rounds = h_shared(sizeof(*ca.rounds)));
	assert_int_equal(h_chan_open(&wa.ch), 0);
	wpid = h_spawn(rsmd_waiters_main, &wa, (uid_t)-1, 28);
	assert_true(wpid > 0);
	h_chan_side(&wa.ch, 0);
	assert_int_equal(h_recv_u32(wa.ch.fd[0], &segid, MSG_MS), 0);

	assert_int_equal(h_chan_open(&ca.ch), 0);
	cpid = h_spawn(connect_loop_main, &ca, (uid_t)-1, 28);
	assert_true(cpid > 0);
	h_chan_side(&ca.ch, 0);
	assert_int_equal(h_send_u32(ca.ch.fd[0], segid), 0);
	assert_int_equal(h_recv_u32(ca.ch.fd[0], &msg, MSG_MS), 0);
	assert_int_equal(msg, 1);
	/*
	 * The waiters are blocked (their child said so with the segment
	 * id); the loop is running once it has gone round a few times.
	 */
	{
		struct at_least al = { ca.rounds, LOOP_ROUNDS };

		assert_int_equal(h_wait_until(reached, &al, MSG_MS), 0);
	}

	t_kill = h_now_ms();
	h_rsmd_kill9(d);
	assert_int_equal(send_u64(wa.ch.fd[0], t_kill), 0);

	/* Blocked waits end at once with RSMERR_CONN_ABORTED. */
	assert_int_equal(recv_u64(wa.ch.fd[0], &wait_ms, MSG_MS), 0);
	fprintf(stderr, "  blocked waits returned %llu ms after the kill\n",
	    (unsigned long long)wait_ms);
	assert_true(wait_ms < FAST_MS);

	/* The connect loop stops with an error, and later calls fail fast. */
	assert_int_equal(h_recv(ca.ch.fd[0], &rep, sizeof(rep), MSG_MS), 0);
	fprintf(stderr, "  connect loop: %llu rounds, failed %llu ms after the "
	    "kill with %u, later calls %u (slowest %llu ms)\n",
	    (unsigned long long)rep.rounds,
	    (unsigned long long)(rep.fail_ms - t_kill), rep.rc,
	    rep.later_rc, (unsigned long long)rep.slowest_after_ms);
	assert_true(rep.rounds > 0);
	assert_true(rep.fail_ms >= t_kill);
	assert_true(rep.fail_ms - t_kill < FAST_MS);
	/* A request in flight is aborted; a new one finds no daemon. */
	assert_true(rep.rc == RSMERR_CONN_ABORTED ||
	    rep.rc == RSMERR_CTLR_NOT_PRESENT);
	assert_int_equal(rep.later_rc, RSMERR_CTLR_NOT_PRESENT);
	assert_true(rep.slowest_after_ms < FAST_MS / 4);

	assert_int_equal(h_send_u32(ca.ch.fd[0], CMD_FINISH), 0);
	assert_int_equal(h_send_u32(wa.ch.fd[0], CMD_FINISH), 0);
	assert_int_equal(h_wait(cpid, MSG_MS), 0);
	assert_int_equal(h_wait(wpid, MSG_MS), 0);
	h_chan_close(&ca.ch);
	h_chan_close(&wa.ch);
	h_pages_free((void *)ca.rounds, sizeof(*ca.rounds));
}

/* ---- the exporter gives its memory up while no daemon can tell ---- */

struct giveup_arg {
	struct h_chan	 ch;
	uint32_t	 segid;
};

#define GIVEUP_SEGID	0x510042u

/* Export and publish; on CMD_GO destroy (the daemon is stopped meanwhile). */
static int
giveup_exporter(void *p)
{
	struct giveup_arg *a = p;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t h;
	rsm_memseg_id_t id = GIVEUP_SEGID;
	size_t size = SEG_PAGES * h_pagesize();
	void *mem;
	int fd;

	h_chan_side(&a->ch, 1);
	fd = a->ch.fd[1];
	H_CHECK((mem = h_pages(size)) != NULL);
	H_CHECK_RC(rsm_get_controller("loopback", &ctlr), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_create(ctlr, &h, mem, size, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(h, &id, NULL, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, 1) == 0);
	H_CHECK(h_expect_u32(fd, CMD_GO, MSG_MS) == 0);
	/* Gives the pages up at once, then waits for the stopped daemon. */
	(void)rsm_memseg_export_destroy(h);
	return 0;
}

/*
 * Write and close a barrier until it fails: it must, once the exporter
 * has given its memory up, although the stopped daemon can revoke nothing.
 */
static int
giveup_importer(void *p)
{
	struct giveup_arg *a = p;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_import_handle_t h;
	rsmapi_barrier_t bar;
	uint64_t end;
	uint32_t v = 0;
	int fd, rc;

	h_chan_side(&a->ch, 1);
	fd = a->ch.fd[1];
	H_CHECK_RC(rsm_get_controller("loopback", &ctlr), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(ctlr, H_NODE_ID, GIVEUP_SEGID,
	    RSM_PERM_RDWR, &h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(h, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_set_mode(h, RSM_BARRIER_MODE_EXPLICIT),
	    RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, 1) == 0);
	H_CHECK(h_expect_u32(fd, CMD_GO, MSG_MS) == 0);
	end = h_now_ms() + NOTICE_MS;
	do {
		v++;
		H_CHECK_RC(rsm_memseg_import_open_barrier(&bar), RSM_SUCCESS);
		H_CHECK_RC(rsm_memseg_import_put32(h, 0, &v, 1), RSM_SUCCESS);
		rc = rsm_memseg_import_close_barrier(&bar);
	} while (rc == RSM_SUCCESS && h_now_ms() < end);
	H_CHECK(h_send_u32(fd, (uint32_t)rc) == 0);
	return 0;
}

static void
test_exporter_gives_up_daemon_stopped(void **state)
{
	struct h_rsmd *d = *state;
	struct giveup_arg ea, ia;
	pid_t epid, ipid;
	uint32_t msg;

	assert_int_equal(h_chan_open(&ea.ch), 0);
	assert_int_equal(h_chan_open(&ia.ch), 0);
	epid = h_spawn(giveup_exporter, &ea, (uid_t)-1, 28);
	assert_true(epid > 0);
	h_chan_side(&ea.ch, 0);
	assert_int_equal(h_expect_u32(ea.ch.fd[0], 1, MSG_MS), 0);
	ipid = h_spawn(giveup_importer, &ia, (uid_t)-1, 28);
	assert_true(ipid > 0);
	h_chan_side(&ia.ch, 0);
	assert_int_equal(h_expect_u32(ia.ch.fd[0], 1, MSG_MS), 0);

	/* No daemon to revoke anyone: only the memory itself can tell. */
	assert_int_equal(kill(d->pid, SIGSTOP), 0);
	assert_int_equal(h_send_u32(ea.ch.fd[0], CMD_GO), 0);
	assert_int_equal(h_send_u32(ia.ch.fd[0], CMD_GO), 0);
	assert_int_equal(h_recv_u32(ia.ch.fd[0], &msg, MSG_MS), 0);
	assert_int_equal(kill(d->pid, SIGCONT), 0);
	assert_int_equal(msg, RSMERR_CONN_ABORTED);
	assert_int_equal(h_wait(epid, MSG_MS), 0);
	assert_int_equal(h_wait(ipid, MSG_MS), 0);
	h_chan_close(&ea.ch);
	h_chan_close(&ia.ch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_exporter_kill9_while_streaming, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_exporter_exit_without_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_importer_kill9, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rsmd_kill9_idle, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rsmd_kill9_pending, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_exporter_gives_up_daemon_stopped, setup, teardown),
	};

	/* A dead peer on a channel must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
