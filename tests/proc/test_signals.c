/*
 * test_signals.c - events between real processes: rsm_intr_signal_post
 * from an importer wakes the exporter and the other way round, bounded
 * waits that time out, RSM_SIGPOST_NO_ACCUMULATE, poll descriptors with
 * poll(2), epoll(7) and rsm_intr_signal_wait_pollfd, the implicit post
 * of putv, many signals in a row, and signals once the exporter is dead.
 *
 * Exporter and importer are two forked children joined by a stream
 * socket; the test process only starts the daemon and checks exit codes.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>

#include "../harness.h"

#define T_MSG		8000
#define T_CHILD		14000
#define T_WAIT		5000	/* a wait that must be woken */

#define TAG_READY	0x52454459u
#define TAG_GO		0x474f2121u
#define TAG_DONE	0x444f4e45u
#define TAG_OK		0x4f4b4f4bu

/* Signals sent in a row in the counting test, each way. */
#define NMANY		1000

static uint32_t g_next_segid = 0x500100u;

/* ---- helpers (children) ---- */

static int
expect_u32(int fd, uint32_t want)
{
	return h_expect_u32(fd, want, T_MSG);
}

/*
 * A round trip to the daemon.  rsmd sends a process its notifications and
 * replies in order on one socket, and the library's receiver thread
 * handles them in that order, so once this returns every event the daemon
 * routed to us before our request has been counted.
 */
static int
fence(void)
{
	rsmapi_controller_handle_t c;

	if (rsm_get_controller(NULL, &c) != RSM_SUCCESS)
		return -1;
	return rsm_release_controller(c) == RSM_SUCCESS ? 0 : -1;
}

/*
 * Wait until process pid is blocked in rsm_intr_signal_wait, which polls
 * two descriptors (the handle's event counter and the link's death fd);
 * nothing else these children do polls two.
 */
static int
in_signal_wait(pid_t pid)
{
	return h_wait_in_poll(pid, 2, -1, T_WAIT);
}

/* Consume every pending event without blocking; -1 on an odd error. */
static int
drain(void *seg)
{
	int n = 0, rc;

	while ((rc = rsm_intr_signal_wait(seg, 0)) == RSM_SUCCESS)
		n++;
	return rc == RSMERR_TIMEOUT ? n : -1;
}

struct xp {
	rsmapi_controller_handle_t	 c;
	rsm_memseg_export_handle_t	 h;
	char				*mem;
	size_t				 size;
};

static int
xp_make(struct xp *x, uint32_t segid)
{
	rsm_memseg_id_t id = segid;

	memset(x, 0, sizeof(*x));
	x->size = 4 * h_pagesize();
	H_CHECK((x->mem = h_pages(x->size)) != NULL);
	H_CHECK_RC(rsm_get_controller(NULL, &x->c), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_create(x->c, &x->h, x->mem, x->size, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(x->h, &id, NULL, 0),
	    RSM_SUCCESS);
	return 0;
}

/* ---- pairs of children ---- */

struct pair;
typedef int (*pair_fn)(struct pair *p, int fd);

struct pair {
	pair_fn		 exp, imp;
	uint32_t	 segid;
	const struct h_pair *hp;	/* its exp_pid: for the importer */
};

static int
exp_side(void *arg, int fd)
{
	struct pair *p = arg;

	return p->exp(p, fd);
}

static int
imp_side(void *arg, int fd)
{
	struct pair *p = arg;

	return p->imp(p, fd);
}

/* The exporter must exit with exp_status, the importer with 0. */
static void
run_pair2(pair_fn exp, pair_fn imp, int exp_status)
{
	struct pair p = { exp, imp, g_next_segid++, NULL };
	struct h_pair hp = { .exp = exp_side, .imp = imp_side, .arg = &p,
	    .imp_uid = (uid_t)-1, .timeout_ms = T_CHILD };

	p.hp = &hp;
	assert_int_equal(h_pair_run(&hp), 0);
	if (hp.exp_status != exp_status || hp.imp_status != 0)
		h_rsmd_dump_log(&h_daemon);
	assert_int_equal(hp.exp_status, exp_status);
	assert_int_equal(hp.imp_status, 0);
}

static void
run_pair(pair_fn exp, pair_fn imp)
{
	run_pair2(exp, imp, 0);
}

/* ======================================================================
 * post wakes wait, both ways; timeouts
 * ====================================================================== */

static int
pw_exp(struct pair *p, int fd)
{
	struct xp x;
	uint64_t t0, dt;
	uint32_t peer;

	H_CHECK(xp_make(&x, p->segid) == 0);
	/* Nobody posts: 0 polls, a timeout expires in about its time. */
	H_CHECK_RC(rsm_intr_signal_wait(x.h, 0), RSMERR_TIMEOUT);
	t0 = h_now_ms();
	H_CHECK_RC(rsm_intr_signal_wait(x.h, 200), RSMERR_TIMEOUT);
	dt = h_now_ms() - t0;
	H_CHECK(dt >= 190 && dt < 2000);
	/* Posting with no importer reaches nobody, and succeeds. */
	H_CHECK_RC(rsm_intr_signal_post(x.h, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_intr_signal_wait(x.h, 0), RSMERR_TIMEOUT);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);

	/* Blocked in the wait when the importer posts: woken, not timed out. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	t0 = h_now_ms();
	H_CHECK_RC(rsm_intr_signal_wait(x.h, T_WAIT), RSM_SUCCESS);
	dt = h_now_ms() - t0;
	H_CHECK(dt < T_WAIT);
	/* Exactly one event was pending. */
	H_CHECK_RC(rsm_intr_signal_wait(x.h, 0), RSMERR_TIMEOUT);

	/* Now the other way: posted once the importer is blocked. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK(h_recv_u32(fd, &peer, T_MSG) == 0);
	H_CHECK(in_signal_wait((pid_t)peer) == 0);
	H_CHECK_RC(rsm_intr_signal_post(x.h, 0), RSM_SUCCESS);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);

	/* An event posted before the wait starts is kept for it. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK(fence() == 0);
	H_CHECK_RC(rsm_intr_signal_wait(x.h, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_intr_signal_wait(x.h, 0), RSMERR_TIMEOUT);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
pw_imp(struct pair *p, int fd)
{
	struct h_imp m;
	uint64_t t0, dt;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_intr_signal_wait(m.h, 0), RSMERR_TIMEOUT);
	t0 = h_now_ms();
	H_CHECK_RC(rsm_intr_signal_wait(m.h, 150), RSMERR_TIMEOUT);
	dt = h_now_ms() - t0;
	H_CHECK(dt >= 140 && dt < 2000);

	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	/* Posted once the exporter is blocked in its wait. */
	H_CHECK(in_signal_wait(p->hp->exp_pid) == 0);
	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);

	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(h_send_u32(fd, (uint32_t)getpid()) == 0);
	t0 = h_now_ms();
	H_CHECK_RC(rsm_intr_signal_wait(m.h, T_WAIT), RSM_SUCCESS);
	dt = h_now_ms() - t0;
	H_CHECK(dt < T_WAIT);
	H_CHECK_RC(rsm_intr_signal_wait(m.h, 0), RSMERR_TIMEOUT);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);

	/* Bad handles. */
	H_CHECK_RC(rsm_intr_signal_post(NULL, 0), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_intr_signal_wait(NULL, 0), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_intr_signal_post(&m, 0), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSMERR_BAD_SEG_HNDL);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_post_wait_both_ways(void **state)
{
	(void)state;
	run_pair(pw_exp, pw_imp);
}

/* ======================================================================
 * RSM_SIGPOST_NO_ACCUMULATE
 * ====================================================================== */

static int
na_exp(struct pair *p, int fd)
{
	struct xp x;

	H_CHECK(xp_make(&x, p->segid) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);

	/* Five plain posts: five events. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(fence() == 0);
	H_CHECK(drain(x.h) == 5);
	H_CHECK(h_send_u32(fd, TAG_OK) == 0);

	/* Five NO_ACCUMULATE posts while none is pending: one event. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(fence() == 0);
	H_CHECK(drain(x.h) == 1);
	H_CHECK(h_send_u32(fd, TAG_OK) == 0);

	/* Two plain, then NO_ACCUMULATE ones: dropped, two remain. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(fence() == 0);
	H_CHECK(drain(x.h) == 2);
	H_CHECK(h_send_u32(fd, TAG_OK) == 0);

	/* From the exporter to the importer too. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	for (int i = 0; i < 4; i++)
		H_CHECK_RC(rsm_intr_signal_post(x.h,
		    RSM_SIGPOST_NO_ACCUMULATE), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
na_imp(struct pair *p, int fd)
{
	struct h_imp m;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	for (int i = 0; i < 5; i++)
		H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_OK) == 0);

	for (int i = 0; i < 5; i++)
		H_CHECK_RC(rsm_intr_signal_post(m.h,
		    RSM_SIGPOST_NO_ACCUMULATE), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_OK) == 0);

	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);
	for (int i = 0; i < 3; i++)
		H_CHECK_RC(rsm_intr_signal_post(m.h,
		    RSM_SIGPOST_NO_ACCUMULATE), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_OK) == 0);

	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(fence() == 0);
	H_CHECK(drain(m.h) == 1);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_no_accumulate(void **state)
{
	(void)state;
	run_pair(na_exp, na_imp);
}

/* ======================================================================
 * Many signals in a row: every one is delivered
 * ====================================================================== */

static int
many_exp(struct pair *p, int fd)
{
	struct xp x;
	int got = 0, rc;

	H_CHECK(xp_make(&x, p->segid) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	/* Count while the importer is still posting. */
	while (got < NMANY &&
	    (rc = rsm_intr_signal_wait(x.h, T_WAIT)) == RSM_SUCCESS)
		got++;
	H_CHECK(got == NMANY);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(fence() == 0);
	/* Not one more. */
	H_CHECK_RC(rsm_intr_signal_wait(x.h, 50), RSMERR_TIMEOUT);

	/* Every import handle hears each post of the exporter. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	for (int i = 0; i < NMANY; i++)
		H_CHECK_RC(rsm_intr_signal_post(x.h, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
many_imp(struct pair *p, int fd)
{
	struct h_imp m, m2;
	int got = 0, got2 = 0;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	for (int i = 0; i < NMANY; i++)
		H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	H_CHECK(h_imp_connect(&m2, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	/* Interleave the two handles' waits while the posts arrive. */
	while (got < NMANY || got2 < NMANY) {
		if (got < NMANY) {
			H_CHECK_RC(rsm_intr_signal_wait(m.h, T_WAIT),
			    RSM_SUCCESS);
			got++;
		}
		if (got2 < NMANY) {
			H_CHECK_RC(rsm_intr_signal_wait(m2.h, T_WAIT),
			    RSM_SUCCESS);
			got2++;
		}
	}
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(fence() == 0);
	H_CHECK(drain(m.h) == 0);
	H_CHECK(drain(m2.h) == 0);
	H_CHECK_RC(rsm_memseg_import_disconnect(m2.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_many_signals(void **state)
{
	(void)state;
	run_pair(many_exp, many_imp);
}

/* ======================================================================
 * Poll descriptors: poll(2), epoll(7), wait_pollfd, release
 * ====================================================================== */

static int
pfd_exp(struct pair *p, int fd)
{
	struct xp x;
	struct pollfd pf, pf2, arr[3];
	struct epoll_event ev, out[4];
	int ep, pipefd[2], n;
	char c;

	H_CHECK(xp_make(&x, p->segid) == 0);
	H_CHECK_RC(rsm_memseg_get_pollfd(x.h, &pf), RSM_SUCCESS);
	H_CHECK(pf.fd >= 0);
	H_CHECK((pf.events & POLLRDNORM) != 0);
	H_CHECK_RC(rsm_memseg_get_pollfd(x.h, NULL), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_get_pollfd(NULL, &pf2), RSMERR_BAD_SEG_HNDL);
	/* A second reference to the same descriptor. */
	H_CHECK_RC(rsm_memseg_get_pollfd(x.h, &pf2), RSM_SUCCESS);
	H_CHECK(pf2.fd == pf.fd);
	pf.revents = 0;
	H_CHECK(poll(&pf, 1, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);

	/* poll(2): readable once an event is pending, and it stays so. */
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	pf.revents = 0;
	H_CHECK(poll(&pf, 1, T_WAIT) == 1);
	H_CHECK((pf.revents & (POLLIN | POLLRDNORM)) != 0);
	H_CHECK(poll(&pf, 1, 0) == 1);
	/* wait_pollfd consumes it and reports POLLRDNORM. */
	n = -1;
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(&pf, 1, 0, &n), RSM_SUCCESS);
	H_CHECK(n == 1);
	H_CHECK(pf.revents == POLLRDNORM);
	H_CHECK(poll(&pf, 1, 0) == 0);
	n = -1;
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(&pf, 1, 100, &n),
	    RSMERR_TIMEOUT);
	H_CHECK(n == 0);
	H_CHECK(h_send_u32(fd, TAG_OK) == 0);

	/* epoll(7), level-triggered, on the same descriptor. */
	H_CHECK((ep = epoll_create1(EPOLL_CLOEXEC)) >= 0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = 77;
	H_CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, pf.fd, &ev) == 0);
	H_CHECK(epoll_wait(ep, out, 4, 0) == 0);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(epoll_wait(ep, out, 4, T_WAIT) == 1);
	H_CHECK(out[0].data.u32 == 77 && (out[0].events & EPOLLIN));
	H_CHECK_RC(rsm_intr_signal_wait(x.h, 0), RSM_SUCCESS);
	H_CHECK(epoll_wait(ep, out, 4, 0) == 0);
	close(ep);

	/* A mixed array: our descriptor, a pipe, and an ignored slot. */
	H_CHECK(pipe(pipefd) == 0);
	H_CHECK(write(pipefd[1], "x", 1) == 1);
	arr[0] = pf;
	arr[0].revents = 0;
	arr[1].fd = pipefd[0];
	arr[1].events = POLLIN;
	arr[1].revents = 0;
	arr[2].fd = -1;
	arr[2].events = POLLIN;
	arr[2].revents = 0;
	n = -1;
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(arr, 3, 100, &n), RSM_SUCCESS);
	/* Only the pipe: no event is pending. */
	H_CHECK(n == 1);
	H_CHECK(arr[0].revents == 0);
	H_CHECK((arr[1].revents & POLLIN) != 0);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(fence() == 0);
	n = -1;
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(arr, 3, T_WAIT, &n),
	    RSM_SUCCESS);
	H_CHECK(n == 2);
	H_CHECK(arr[0].revents == POLLRDNORM);
	H_CHECK((arr[1].revents & POLLIN) != 0);
	H_CHECK(arr[2].revents == 0);
	H_CHECK(read(pipefd[0], &c, 1) == 1);
	/* Both consumed: a NULL count pointer is allowed. */
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(arr, 3, 50, NULL),
	    RSMERR_TIMEOUT);
	close(pipefd[0]);
	close(pipefd[1]);

	/* Destroy waits for every reference to be released. */
	H_CHECK_RC(rsm_memseg_export_destroy(x.h), RSMERR_POLLFD_IN_USE);
	H_CHECK_RC(rsm_memseg_release_pollfd(x.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(x.h), RSMERR_POLLFD_IN_USE);
	H_CHECK_RC(rsm_memseg_release_pollfd(x.h), RSM_SUCCESS);
	/* At zero, a release is a no-op. */
	H_CHECK_RC(rsm_memseg_release_pollfd(x.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK_RC(rsm_memseg_export_destroy(x.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_release_pollfd(x.h), RSMERR_BAD_SEG_HNDL);
	return 0;
}

static int
pfd_imp(struct pair *p, int fd)
{
	struct h_imp m;
	struct pollfd pf;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	H_CHECK(expect_u32(fd, TAG_OK) == 0);

	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);

	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);

	/* The import side has a poll descriptor too. */
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	H_CHECK_RC(rsm_memseg_get_pollfd(m.h, &pf), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSMERR_POLLFD_IN_USE);
	pf.revents = 0;
	H_CHECK(poll(&pf, 1, 0) == 0);
	H_CHECK_RC(rsm_memseg_release_pollfd(m.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_pollfd(void **state)
{
	(void)state;
	run_pair(pfd_exp, pfd_imp);
}

/* The importer's descriptor wakes when the exporter posts. */
static int
pfdi_exp(struct pair *p, int fd)
{
	struct xp x;
	uint32_t peer, pfd;

	H_CHECK(xp_make(&x, p->segid) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	/* Posted once the importer polls its descriptor. */
	H_CHECK(h_recv_u32(fd, &peer, T_MSG) == 0);
	H_CHECK(h_recv_u32(fd, &pfd, T_MSG) == 0);
	H_CHECK(h_wait_in_poll((pid_t)peer, 1, (int)pfd, T_WAIT) == 0);
	H_CHECK_RC(rsm_intr_signal_post(x.h, 0), RSM_SUCCESS);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	return 0;
}

static int
pfdi_imp(struct pair *p, int fd)
{
	struct h_imp m;
	struct pollfd pf;
	int n = -1;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_memseg_get_pollfd(m.h, &pf), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	H_CHECK(h_send_u32(fd, (uint32_t)getpid()) == 0);
	H_CHECK(h_send_u32(fd, (uint32_t)pf.fd) == 0);
	/* Blocks in wait_pollfd until the post arrives. */
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(&pf, 1, T_WAIT, &n),
	    RSM_SUCCESS);
	H_CHECK(n == 1 && pf.revents == POLLRDNORM);
	H_CHECK_RC(rsm_intr_signal_wait(m.h, 0), RSMERR_TIMEOUT);
	H_CHECK_RC(rsm_memseg_release_pollfd(m.h), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_import_pollfd(void **state)
{
	(void)state;
	run_pair(pfdi_exp, pfdi_imp);
}

/* ======================================================================
 * putv with RSM_IMPLICIT_SIGPOST rings the exporter once
 * ====================================================================== */

static int
isp_exp(struct pair *p, int fd)
{
	struct xp x;

	H_CHECK(xp_make(&x, p->segid) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	/* The data is there by the time the event is. */
	H_CHECK_RC(rsm_intr_signal_wait(x.h, T_WAIT), RSM_SUCCESS);
	H_CHECK(memcmp(x.mem + 10, "sigpost", 8) == 0);
	H_CHECK(expect_u32(fd, TAG_DONE) == 0);
	H_CHECK(fence() == 0);
	/* One event for the list; none for the list without the flag. */
	H_CHECK(drain(x.h) == 0);
	H_CHECK(memcmp(x.mem + 100, "quiet", 6) == 0);
	return 0;
}

static int
isp_imp(struct pair *p, int fd)
{
	struct h_imp m;
	rsm_iovec_t iov;
	rsm_scat_gath_t sg;
	char buf[16] = "sigpost";

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	memset(&iov, 0, sizeof(iov));
	iov.io_type = RSM_VA_TYPE;
	iov.local.vaddr = buf;
	iov.remote_offset = 10;
	iov.transfer_length = 8;
	memset(&sg, 0, sizeof(sg));
	sg.io_request_count = 1;
	sg.flags = RSM_IMPLICIT_SIGPOST;
	sg.remote_handle = m.h;
	sg.iovec = &iov;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSM_SUCCESS);
	/* The caller's flags come back as they were. */
	H_CHECK(sg.flags == RSM_IMPLICIT_SIGPOST);
	H_CHECK(sg.io_residual_count == 0);
	memcpy(buf, "quiet", 6);
	iov.remote_offset = 100;
	iov.transfer_length = 6;
	sg.flags = 0;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_DONE) == 0);
	return 0;
}

static void
test_implicit_sigpost(void **state)
{
	(void)state;
	run_pair(isp_exp, isp_imp);
}

/* ======================================================================
 * The exporter dies
 * ====================================================================== */

static int
dead_exp(struct pair *p, int fd)
{
	struct xp x;

	H_CHECK(xp_make(&x, p->segid) == 0);
	H_CHECK(h_send_u32(fd, TAG_READY) == 0);
	H_CHECK(expect_u32(fd, TAG_GO) == 0);
	/* No clean-up of any kind: the daemon must notice by itself. */
	raise(SIGKILL);
	return 99;
}

static int
dead_imp(struct pair *p, int fd)
{
	struct h_imp m;
	struct pollfd pf;
	uint64_t t0, dt;
	int rc, n = -1;

	H_CHECK(expect_u32(fd, TAG_READY) == 0);
	H_CHECK(h_imp_connect(&m, NULL, p->segid, RSM_PERM_RDWR) == 0);
	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSM_SUCCESS);
	H_CHECK(h_send_u32(fd, TAG_GO) == 0);
	/*
	 * A waiter is woken by the revocation instead of sleeping out its
	 * timeout; the post made before the death may be consumed first.
	 */
	t0 = h_now_ms();
	while ((rc = rsm_intr_signal_wait(m.h, 10000)) == RSM_SUCCESS)
		;
	dt = h_now_ms() - t0;
	H_CHECK_RC(rc, RSMERR_CONN_ABORTED);
	H_CHECK(dt < 5000);
	/* Posting to a segment whose exporter is gone. */
	H_CHECK_RC(rsm_intr_signal_post(m.h, 0), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_intr_signal_post(m.h, RSM_SIGPOST_NO_ACCUMULATE),
	    RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_intr_signal_wait(m.h, 0), RSMERR_CONN_ABORTED);
	/* wait_pollfd flags the dead descriptor instead of hanging. */
	H_CHECK_RC(rsm_memseg_get_pollfd(m.h, &pf), RSM_SUCCESS);
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(&pf, 1, T_WAIT, &n),
	    RSM_SUCCESS);
	H_CHECK(n == 1 && (pf.revents & POLLERR));
	H_CHECK_RC(rsm_memseg_release_pollfd(m.h), RSM_SUCCESS);
	H_CHECK(h_rsmd_find_segid(&h_daemon, p->segid, NULL) < 0);
	H_CHECK_RC(rsm_memseg_import_disconnect(m.h), RSM_SUCCESS);
	return 0;
}

static void
test_exporter_died(void **state)
{
	(void)state;
	run_pair2(dead_exp, dead_imp, 128 + SIGKILL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_post_wait_both_ways,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_no_accumulate,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_many_signals,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_pollfd,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_import_pollfd,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_implicit_sigpost,
		    h_test_setup, h_test_teardown),
		cmocka_unit_test_setup_teardown(test_exporter_died,
		    h_test_setup, h_test_teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
