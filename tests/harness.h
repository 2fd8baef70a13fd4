/*
 * harness.h - helpers shared by the process tests: a private rsmd per test
 * (or per group), forked children with bounded waits, an exporter and
 * importer pair of children, a byte channel between processes, raw
 * control-socket calls (STATUS, LIST_SEGMENTS and any other request), data
 * patterns and checksums, and clocks.
 *
 * Every wait here is bounded: a test that would hang fails instead.
 */
#ifndef RSM_TEST_HARNESS_H
#define RSM_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <rsmapi.h>

#include "rsm_proto.h"

/* The node id every harness daemon runs as unless told otherwise. */
#define H_NODE_ID	3u

/* uid used by permission tests for "some other user". */
#define H_NOBODY_UID	65534u

/* Seconds a single test may take before SIGALRM ends the binary. */
#define H_TEST_ALARM	30u

struct h_rsmd {
	pid_t	 pid;			/* 0 when not running */
	uint32_t node_id;
	char	 dir[128];		/* private temp dir (mode 0755) */
	char	 sock[192];
	char	 conf[192];
	char	 log[192];
};

/*
 * Start a private rsmd: write a config (node_id, socket, log_level and
 * `extra`, which may be NULL or hold more "key = value" lines), fork/exec
 * $RSMD_BIN -f -c CONF and wait (bounded) until it answers HELLO.  Exports
 * RSM_DAEMON_SOCKET for this process and every child forked afterwards.
 * Returns 0, or -1 after printing why (and the daemon's log).
 */
int	h_rsmd_start(struct h_rsmd *d, const char *extra);
/* Start again with the same dir, socket and config (after a kill). */
int	h_rsmd_restart(struct h_rsmd *d);
/* SIGTERM, bounded wait, then SIGKILL if needed.  Returns the wait status. */
int	h_rsmd_stop(struct h_rsmd *d);
/* SIGKILL and reap. */
void	h_rsmd_kill9(struct h_rsmd *d);
/* Stop if running and remove the temp dir. */
void	h_rsmd_cleanup(struct h_rsmd *d);
/*
 * The daemon most test groups share, and the group set-up and tear-down
 * that start and stop it (cmocka_run_group_tests).
 */
extern struct h_rsmd h_daemon;
int	h_group_setup(void **state);
int	h_group_teardown(void **state);
/* Print the daemon's log to stderr (for failure diagnosis). */
void	h_rsmd_dump_log(const struct h_rsmd *d);

/*
 * A raw control connection, as librsm opens one, for tests that speak the
 * protocol (proto/rsm_proto.h) by hand: connect to the daemon's socket
 * with receive and send timeouts of timeout_ms.  Returns the fd or -1.
 */
int	h_ctl_open(const char *path, int timeout_ms);
/*
 * Send one request and read its replies (notifications, id 0, are
 * skipped; descriptors that come with replies are closed): each payload
 * of a successful reply goes to cb (if not NULL) until one without
 * RSM_MSGF_MORE.  Returns 0, the daemon's error status, or -1 for a
 * transport or protocol fault (or a cb that returned nonzero).
 */
typedef int (*h_reply_fn)(const void *payload, size_t len, void *arg);
int	h_ctl_call(int fd, uint16_t type, uint64_t id, const void *req,
	    size_t req_len, h_reply_fn cb, void *arg);
/* HELLO with the current protocol version, as request `id`. */
int	h_ctl_hello(int fd, uint64_t id);
/* An h_reply_fn that copies a payload into p, cut to cap bytes. */
struct h_ctl_buf {
	void	*p;
	size_t	 cap;
};
int	h_ctl_copy(const void *payload, size_t len, void *arg);

/* Daemon counters through a STATUS request on a fresh connection. */
int	h_rsmd_status(const struct h_rsmd *d, struct rsm_msg_status *st);
/*
 * LIST_SEGMENTS on a fresh connection: up to `max` entries into `out`.
 * Returns the number of segments, or -1.
 */
int	h_rsmd_segments(const struct h_rsmd *d, struct rsm_msg_seginfo *out,
	    int max);
/* The entry for segid (published segments), or -1 if not listed. */
int	h_rsmd_find_segid(const struct h_rsmd *d, uint32_t segid,
	    struct rsm_msg_seginfo *out);

/*
 * Fork a child that runs fn(arg) and _exits with its return value.  The
 * child gets alarm(timeout_s) and dies with the test process.  With uid
 * not (uid_t)-1 the child drops to that uid/gid first.
 */
typedef int (*h_child_fn)(void *arg);
pid_t	h_spawn(h_child_fn fn, void *arg, uid_t uid, unsigned timeout_s);
/*
 * Wait for a child up to timeout_ms; kills it on timeout.  Returns its
 * exit code, 128 + signal if it died by a signal, or -1 on timeout.
 */
int	h_wait(pid_t pid, int timeout_ms);
/* h_spawn + h_wait. */
int	h_run_child(h_child_fn fn, void *arg, uid_t uid, int timeout_ms);

/* A bidirectional byte channel between a parent and a child. */
struct h_chan {
	int	fd[2];		/* fd[0] parent's end, fd[1] child's end */
};
int	h_chan_open(struct h_chan *c);
/* Call in the child (side 1) or the parent (side 0) right after fork. */
void	h_chan_side(struct h_chan *c, int side);
void	h_chan_close(struct h_chan *c);
/* Send/receive exactly len bytes on `fd`; receive waits up to timeout_ms. */
int	h_send(int fd, const void *buf, size_t len);
int	h_recv(int fd, void *buf, size_t len, int timeout_ms);
/* Convenience for one uint32_t. */
int	h_send_u32(int fd, uint32_t v);
int	h_recv_u32(int fd, uint32_t *v, int timeout_ms);
/* Receive one uint32_t and require it to be `want`; says why on stderr. */
int	h_expect_u32(int fd, uint32_t want, int timeout_ms);

/* Monotonic milliseconds. */
uint64_t h_now_ms(void);
/* Only as the interval of a polling loop, never to let something happen. */
void	h_sleep_ms(unsigned ms);

/*
 * Synchronising on what can be observed: call cond(arg) every H_POLL_MS
 * until it returns nonzero or timeout_ms have passed (it is asked once
 * more at the deadline, so a condition met just then still counts).
 * Returns 0 once it held, -1 on timeout.
 */
#define H_POLL_MS	2u
typedef int (*h_cond_fn)(void *arg);
int	h_wait_until(h_cond_fn cond, void *arg, int timeout_ms);

/*
 * Whether task tid (a process id names the process's main thread) sleeps
 * in poll(2) or ppoll(2) on nfds descriptors (any number when nfds is 0),
 * one of which is fd (any when fd is -1), read from /proc/TID/syscall and
 * /proc/TID/mem.  1 yes, 0 not (running, or in another call), -1 when it
 * cannot be seen.  A test that must wake another process from a blocking
 * wait (rsm_intr_signal_wait polls its event counter and the link's death
 * descriptor, 2 fds; rsm_intr_signal_wait_pollfd polls the caller's
 * array) waits for this before it posts, instead of hoping the other side
 * got there.
 */
int	h_in_poll(pid_t tid, unsigned nfds, int fd);
/* h_in_poll until it holds: 0, or -1 (said why) after timeout_ms. */
int	h_wait_in_poll(pid_t tid, unsigned nfds, int fd, int timeout_ms);
/* The number of threads of process pid (/proc/PID/status), or -1. */
int	h_threads(pid_t pid);
/*
 * Zeroed memory shared with every child forked afterwards, for progress
 * counters a parent polls (free with h_pages_free).
 */
void	*h_shared(size_t size);

/*
 * Reproducible data: h_fill writes n pseudo-random bytes from seed (the
 * same seed, the same bytes, in any process), h_csum is FNV-1a 64 of a
 * range, so two processes can compare memory through a short message.
 */
void	h_fill(void *p, size_t n, uint64_t seed);
uint64_t h_csum(const void *p, size_t n);

/*
 * An exporter and an importer in two forked children joined by a stream
 * socketpair: exp(arg, fd) and imp(arg, fd) each get one end, and the
 * importer runs as imp_uid unless that is (uid_t)-1.  Each child gets
 * alarm(timeout_ms / 1000 + 2) and each wait is bounded by timeout_ms.
 * exp_pid is set before the importer forks, so the importer may signal
 * the exporter.  h_pair_run returns 0 with both exit statuses (as from
 * h_wait) filled in, or -1 if the children could not be started.
 */
struct h_pair {
	int	(*exp)(void *arg, int fd);
	int	(*imp)(void *arg, int fd);
	void	*arg;
	uid_t	 imp_uid;
	int	 timeout_ms;
	/* Filled in by h_pair_run. */
	pid_t	 exp_pid;
	int	 fds[2];
	int	 exp_status;
	int	 imp_status;
};
int	h_pair_run(struct h_pair *p);

/* Page-aligned private anonymous memory (the export requirement). */
void	*h_pages(size_t size);
void	h_pages_free(void *p, size_t size);
size_t	h_pagesize(void);

/*
 * In a child: get controller ctlr (NULL: the default), connect to segid on
 * H_NODE_ID with perm, and give the import the barrier that implicit mode
 * requires.  Returns 0, or an H_CHECK failure code.
 */
struct h_imp {
	rsmapi_controller_handle_t	 c;
	rsm_memseg_import_handle_t	 h;
	rsmapi_barrier_t		 bar;
};
int	h_imp_connect(struct h_imp *ip, char *ctlr, uint32_t segid,
	    rsm_permission_t perm);

/* Per-test cmocka setup: arm the alarm. */
int	h_test_setup(void **state);
int	h_test_teardown(void **state);

/*
 * Checks inside forked children, where cmocka's asserts cannot be used:
 * report the line and make the child exit nonzero.
 */
#define H_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: [pid %d] check failed: %s\n",	\
		    __FILE__, __LINE__, (int)getpid(), #cond);		\
		return __LINE__ % 250 + 1;				\
	}								\
} while (0)

#define H_CHECK_RC(call, want) do {					\
	int h_rc_ = (call);						\
	if (h_rc_ != (want)) {						\
		fprintf(stderr, "%s:%d: [pid %d] %s = %d, expected %d (%s)\n", \
		    __FILE__, __LINE__, (int)getpid(), #call, h_rc_,	\
		    (int)(want), #want);				\
		return __LINE__ % 250 + 1;				\
	}								\
} while (0)

#endif /* RSM_TEST_HARNESS_H */
