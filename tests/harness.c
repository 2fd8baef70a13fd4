/*
 * harness.c - private daemons, bounded child processes and channels for
 * the process tests.  See harness.h.
 */
#include <rsmapi.h>

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How long a daemon may take to start answering. */
#define H_START_MS	5000
#define H_STOP_MS	3000
#define H_QUERY_MS	3000

uint64_t
h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void
h_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000u, (long)(ms % 1000u) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

int
h_wait_until(h_cond_fn cond, void *arg, int timeout_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		int last = h_now_ms() >= end;

		if (cond(arg))
			return 0;
		if (last)
			return -1;
		h_sleep_ms(H_POLL_MS);
	}
}

/*
 * /proc/TID/syscall: "NR ARG0 ... ARG5 SP PC" while the task is blocked in
 * a system call, "running" while it runs.
 */
int
h_in_poll(pid_t tid, unsigned nfds, int fd)
{
	char path[64], buf[256];
	unsigned long long a[6];
	struct pollfd pf[64];
	long nr;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)tid);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (strncmp(buf, "running", 7) == 0)
		return 0;
	if (sscanf(buf, "%ld %llx %llx %llx %llx %llx %llx", &nr, &a[0],
	    &a[1], &a[2], &a[3], &a[4], &a[5]) != 7)
		return 0;
#ifdef SYS_poll
	if (nr != SYS_poll && nr != SYS_ppoll)
		return 0;
#else
	if (nr != SYS_ppoll)
		return 0;
#endif
	if (nfds != 0 && a[1] != nfds)
		return 0;
	if (fd < 0)
		return 1;
	/* The array the task polls, read from its memory. */
	if (a[1] == 0 || a[1] > sizeof(pf) / sizeof(pf[0]))
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)tid);
	if ((f = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = pread(f, pf, (size_t)a[1] * sizeof(pf[0]), (off_t)a[0]);
	close(f);
	if (n != (ssize_t)(a[1] * sizeof(pf[0])))
		return -1;
	for (unsigned long long i = 0; i < a[1]; i++)
		if (pf[i].fd == fd)
			return 1;
	return 0;
}

int
h_wait_in_poll(pid_t tid, unsigned nfds, int fd, int timeout_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;
	int r;

	for (;;) {
		int last = h_now_ms() >= end;

		if ((r = h_in_poll(tid, nfds, fd)) == 1)
			return 0;
		if (r < 0) {
			fprintf(stderr, "harness: cannot see what task %d is "
			    "blocked in: %s\n", (int)tid, strerror(errno));
			return -1;
		}
		if (last) {
			fprintf(stderr, "harness: task %d not in poll(%u fds, "
			    "fd %d) after %d ms\n", (int)tid, nfds, fd,
			    timeout_ms);
			return -1;
		}
		h_sleep_ms(H_POLL_MS);
	}
}

int
h_threads(pid_t pid)
{
	char path[64], line[128];
	FILE *f;
	int n = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

void *
h_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

size_t
h_pagesize(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

void *
h_pages(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void
h_pages_free(void *p, size_t size)
{
	if (p != NULL)
		munmap(p, size);
}

int
h_test_setup(void **state)
{
	(void)state;
	alarm(H_TEST_ALARM);
	return 0;
}

int
h_test_teardown(void **state)
{
	(void)state;
	alarm(0);
	return 0;
}

/* ---- children ---- */

pid_t
h_spawn(h_child_fn fn, void *arg, uid_t uid, unsigned timeout_s)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid != 0)
		return pid;
	/* Child. */
	alarm(timeout_s);
	if (uid != (uid_t)-1) {
		if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 ||
		    setuid(uid) != 0) {
			fprintf(stderr, "harness: cannot become uid %u: %s\n",
			    (unsigned)uid, strerror(errno));
			_exit(250);
		}
	}
	/* After any setuid, which clears the parent-death signal. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/*
	 * Where Yama restricts ptrace to descendants, a sibling could not
	 * read what this child is blocked in (h_in_poll); fails harmlessly
	 * without Yama.
	 */
	prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
	if (getppid() == 1)
		_exit(251);
	_exit(fn(arg));
}

int
h_wait(pid_t pid, int timeout_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -1;
		if (h_now_ms() >= end) {
			fprintf(stderr, "harness: child %d still running after "
			    "%d ms: killed\n", (int)pid, timeout_ms);
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		h_sleep_ms(2);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "harness: child %d killed by signal %d\n",
		    (int)pid, WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	return -1;
}

int
h_run_child(h_child_fn fn, void *arg, uid_t uid, int timeout_ms)
{
	pid_t pid = h_spawn(fn, arg, uid, (unsigned)(timeout_ms / 1000 + 2));

	if (pid < 0)
		return -1;
	return h_wait(pid, timeout_ms);
}

/* ---- channels ---- */

int
h_chan_open(struct h_chan *c)
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->fd);
}

void
h_chan_side(struct h_chan *c, int side)
{
	close(c->fd[1 - side]);
	c->fd[1 - side] = -1;
}

void
h_chan_close(struct h_chan *c)
{
	for (int i = 0; i < 2; i++) {
		if (c->fd[i] >= 0)
			close(c->fd[i]);
		c->fd[i] = -1;
	}
}

int
h_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
h_recv(int fd, void *buf, size_t len, int timeout_ms)
{
	uint64_t end = h_now_ms() + (uint64_t)timeout_ms;
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		uint64_t now = h_now_ms();
		ssize_t n;
		int r;

		if (now >= end)
			return -1;
		r = poll(&pfd, 1, (int)(end - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
h_send_u32(int fd, uint32_t v)
{
	return h_send(fd, &v, sizeof(v));
}

int
h_recv_u32(int fd, uint32_t *v, int timeout_ms)
{
	return h_recv(fd, v, sizeof(*v), timeout_ms);
}

int
h_expect_u32(int fd, uint32_t want, int timeout_ms)
{
	uint32_t v;

	if (h_recv_u32(fd, &v, timeout_ms) != 0) {
		fprintf(stderr, "[pid %d] no message (wanted %#x)\n",
		    (int)getpid(), want);
		return -1;
	}
	if (v != want) {
		fprintf(stderr, "[pid %d] got %#x, wanted %#x\n", (int)getpid(),
		    v, want);
		return -1;
	}
	return 0;
}

/* ---- data patterns ---- */

void
h_fill(void *p, size_t n, uint64_t seed)
{
	unsigned char *b = p;
	/* xorshift64 from a mixed seed: seeds 0, 1, 2 give unrelated bytes. */
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		b[i] = (unsigned char)(x >> 24);
	}
}

uint64_t
h_csum(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a 64 */

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---- an exporter and an importer in two children ---- */

static int
pair_exp_side(void *arg)
{
	struct h_pair *p = arg;

	close(p->fds[1]);
	return p->exp(p->arg, p->fds[0]);
}

static int
pair_imp_side(void *arg)
{
	struct h_pair *p = arg;

	close(p->fds[0]);
	return p->imp(p->arg, p->fds[1]);
}

int
h_pair_run(struct h_pair *p)
{
	unsigned alarm_s = (unsigned)(p->timeout_ms / 1000 + 2);
	pid_t pi;

	p->exp_pid = 0;
	p->exp_status = p->imp_status = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->fds) != 0)
		return -1;
	if ((p->exp_pid = h_spawn(pair_exp_side, p, (uid_t)-1,
	    alarm_s)) <= 0) {
		close(p->fds[0]);
		close(p->fds[1]);
		return -1;
	}
	/* The importer inherits exp_pid, so it may signal the exporter. */
	pi = h_spawn(pair_imp_side, p, p->imp_uid, alarm_s);

	/*
	 * Only the children keep the socket: one that fails closes its end,
	 * so the other fails at its next receive instead of waiting for its
	 * whole timeout.
	 */
	close(p->fds[0]);
	close(p->fds[1]);
	if (pi <= 0) {
		kill(p->exp_pid, SIGKILL);
		(void)h_wait(p->exp_pid, p->timeout_ms);
		return -1;
	}
	p->exp_status = h_wait(p->exp_pid, p->timeout_ms);
	p->imp_status = h_wait(pi, p->timeout_ms);
	return 0;
}

/* ---- the importing side of the API ---- */

int
h_imp_connect(struct h_imp *ip, char *ctlr, uint32_t segid,
    rsm_permission_t perm)
{
	memset(ip, 0, sizeof(*ip));
	H_CHECK_RC(rsm_get_controller(ctlr, &ip->c), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(ip->c, H_NODE_ID, segid, perm,
	    &ip->h), RSM_SUCCESS);
	H_CHECK(ip->h != NULL);
	H_CHECK_RC(rsm_memseg_import_init_barrier(ip->h, RSM_BAR_DEFAULT,
	    &ip->bar), RSM_SUCCESS);
	return 0;
}

/* ---- talking to a daemon directly ---- */

int
h_ctl_open(const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	/* A cut path would name some other socket: refuse it instead. */
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

union ctl_buf {
	struct rsm_msg_hdr h;
	unsigned char b[RSM_MSG_MAX];
};

int
h_ctl_call(int fd, uint16_t type, uint64_t id, const void *req,
    size_t req_len, h_reply_fn cb, void *arg)
{
	struct rsm_msg_hdr h;
	union ctl_buf buf;
	int rfd, nfds;
	ssize_t n;

	rsm_msg_hdr_init(&h, type, 0, 0, id, req_len);
	if (rsm_msg_send(fd, &h, req, req_len, -1) != 0)
		return -1;
	for (;;) {
		n = rsm_msg_recv(fd, buf.b, sizeof(buf.b), &rfd, &nfds);
		if (n <= 0)
			return -1;
		if (rfd >= 0)
			close(rfd);
		if (rsm_msg_check(buf.b, (size_t)n, nfds, 1) != 0)
			return -1;
		if (buf.h.id == 0)
			continue;	/* a notification: not ours */
		if (buf.h.id != id || buf.h.type != type)
			return -1;
		if (buf.h.status != RSM_SUCCESS)
			return (int)buf.h.status;
		if (cb != NULL && cb(buf.b + sizeof(buf.h),
		    (size_t)n - sizeof(buf.h), arg) != 0)
			return -1;
		if (!(buf.h.flags & RSM_MSGF_MORE))
			return 0;
	}
}

int
h_ctl_hello(int fd, uint64_t id)
{
	struct rsm_msg_hello hello = { RSM_PROTO_VERSION, 0 };

	return h_ctl_call(fd, RSM_MSG_HELLO, id, &hello, sizeof(hello), NULL,
	    NULL);
}

int
h_ctl_copy(const void *payload, size_t len, void *arg)
{
	struct h_ctl_buf *b = arg;

	memcpy(b->p, payload, len < b->cap ? len : b->cap);
	return 0;
}

static int
copy_status(const void *p, size_t len, void *arg)
{
	if (len != sizeof(struct rsm_msg_status))
		return -1;
	memcpy(arg, p, len);
	return 0;
}

int
h_rsmd_status(const struct h_rsmd *d, struct rsm_msg_status *st)
{
	int fd = h_ctl_open(d->sock, H_QUERY_MS), rc = -1;

	if (fd < 0)
		return -1;
	if (h_ctl_hello(fd, 1) == 0)
		rc = h_ctl_call(fd, RSM_MSG_STATUS, 2, NULL, 0, copy_status,
		    st);
	close(fd);
	return rc;
}

struct seg_acc {
	struct rsm_msg_seginfo *out;
	int max;
	int n;
	int closed;
};

static int
take_seg(const void *p, size_t len, void *arg)
{
	struct seg_acc *a = arg;
	struct rsm_msg_seginfo si;

	if (len != sizeof(si))
		return -1;
	memcpy(&si, p, sizeof(si));
	if (si.last) {
		a->closed = 1;
		return si.count == (uint32_t)a->n ? 0 : -1;
	}
	if (a->n < a->max)
		a->out[a->n] = si;
	a->n++;
	return 0;
}

int
h_rsmd_segments(const struct h_rsmd *d, struct rsm_msg_seginfo *out, int max)
{
	struct seg_acc a = { out, max, 0, 0 };
	int fd = h_ctl_open(d->sock, H_QUERY_MS), rc = -1;

	if (fd < 0)
		return -1;
	if (h_ctl_hello(fd, 1) == 0)
		rc = h_ctl_call(fd, RSM_MSG_LIST_SEGMENTS, 2, NULL, 0, take_seg,
		    &a);
	close(fd);
	if (rc != 0 || !a.closed)
		return -1;
	return a.n;
}

int
h_rsmd_find_segid(const struct h_rsmd *d, uint32_t segid,
    struct rsm_msg_seginfo *out)
{
	struct rsm_msg_seginfo segs[256];
	int n = h_rsmd_segments(d, segs, 256);

	for (int i = 0; i < n && i < 256; i++) {
		if (segs[i].published && segs[i].segid == segid) {
			if (out != NULL)
				*out = segs[i];
			return i;
		}
	}
	return -1;
}

/* ---- daemon lifecycle ---- */

static int
write_conf(const struct h_rsmd *d, const char *extra)
{
	FILE *f = fopen(d->conf, "w");

	if (f == NULL)
		return -1;
	fprintf(f, "# written by the test harness\n");
	fprintf(f, "node_id = %u\n", d->node_id);
	fprintf(f, "socket = %s\n", d->sock);
	fprintf(f, "log_level = %s\n", getenv("RSM_TEST_DEBUG") ?
	    "debug" : "info");
	/* test_unprivileged.sh and check.sh's plain pass: daemons drop root. */
	if (getenv("RSM_TEST_RSMD_USER") != NULL &&
	    *getenv("RSM_TEST_RSMD_USER") != '\0')
		fprintf(f, "user = %s\n", getenv("RSM_TEST_RSMD_USER"));
	if (extra != NULL)
		fprintf(f, "%s\n", extra);
	return fclose(f);
}

void
h_rsmd_dump_log(const struct h_rsmd *d)
{
	char line[512];
	FILE *f = fopen(d->log, "r");

	if (f == NULL)
		return;
	fprintf(stderr, "---- %s ----\n", d->log);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fprintf(stderr, "---- end of log ----\n");
	fclose(f);
}

static int
answers_hello(const char *sock)
{
	int fd = h_ctl_open(sock, H_QUERY_MS), rc;

	if (fd < 0)
		return 0;
	rc = h_ctl_hello(fd, 1);
	close(fd);
	return rc == 0;
}

static int
launch(struct h_rsmd *d)
{
	const char *bin = getenv("RSMD_BIN");
	uint64_t end;
	pid_t pid;
	int st;

	if (bin == NULL || *bin == '\0') {
		fprintf(stderr, "harness: RSMD_BIN is not set\n");
		return -1;
	}
	unlink(d->sock);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int lfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (lfd >= 0) {
			dup2(lfd, 1);
			dup2(lfd, 2);
			close(lfd);
		}
		/* The daemon must not outlive a test binary that crashed. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setenv(RSM_SOCKET_ENV, d->sock, 1);
		execl(bin, bin, "-f", "-c", d->conf, (char *)NULL);
		fprintf(stderr, "harness: exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	d->pid = pid;
	end = h_now_ms() + H_START_MS;
	while (h_now_ms() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			fprintf(stderr, "harness: rsmd exited at start "
			    "(status %#x)\n", st);
			d->pid = 0;
			h_rsmd_dump_log(d);
			return -1;
		}
		if (answers_hello(d->sock)) {
			setenv(RSM_SOCKET_ENV, d->sock, 1);
			return 0;
		}
		h_sleep_ms(10);
	}
	fprintf(stderr, "harness: rsmd did not answer within %d ms\n",
	    H_START_MS);
	h_rsmd_dump_log(d);
	h_rsmd_kill9(d);
	return -1;
}

int
h_rsmd_start(struct h_rsmd *d, const char *extra)
{
	char tmpl[] = "/tmp/rsmtest.XXXXXX";

	memset(d, 0, sizeof(*d));
	if (d->node_id == 0)
		d->node_id = H_NODE_ID;
	if (mkdtemp(tmpl) == NULL)
		return -1;
	/* Other uids (permission tests) must reach the socket. */
	chmod(tmpl, 0755);
	snprintf(d->dir, sizeof(d->dir), "%s", tmpl);
	snprintf(d->sock, sizeof(d->sock), "%s/rsmd.sock", tmpl);
	snprintf(d->conf, sizeof(d->conf), "%s/rsmd.conf", tmpl);
	snprintf(d->log, sizeof(d->log), "%s/rsmd.log", tmpl);
	if (write_conf(d, extra) != 0) {
		h_rsmd_cleanup(d);
		return -1;
	}
	return launch(d);
}

int
h_rsmd_restart(struct h_rsmd *d)
{
	if (d->pid != 0)
		h_rsmd_kill9(d);
	return launch(d);
}

int
h_rsmd_stop(struct h_rsmd *d)
{
	uint64_t end;
	int st = -1;

	if (d->pid == 0)
		return -1;
	kill(d->pid, SIGTERM);
	end = h_now_ms() + H_STOP_MS;
	for (;;) {
		pid_t r = waitpid(d->pid, &st, WNOHANG);

		if (r == d->pid)
			break;
		if (h_now_ms() >= end) {
			fprintf(stderr, "harness: rsmd ignored SIGTERM for "
			    "%d ms\n", H_STOP_MS);
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &st, 0);
			st = -1;
			break;
		}
		h_sleep_ms(5);
	}
	d->pid = 0;
	return st;
}

void
h_rsmd_kill9(struct h_rsmd *d)
{
	if (d->pid == 0)
		return;
	kill(d->pid, SIGKILL);
	while (waitpid(d->pid, NULL, 0) < 0 && errno == EINTR)
		;
	d->pid = 0;
}

void
h_rsmd_cleanup(struct h_rsmd *d)
{
	if (d->pid != 0)
		h_rsmd_stop(d);
	if (d->dir[0] == '\0')
		return;
	if (getenv("RSM_TEST_KEEP") != NULL) {
		fprintf(stderr, "harness: kept %s\n", d->dir);
		return;
	}
	unlink(d->sock);
	unlink(d->conf);
	unlink(d->log);
	rmdir(d->dir);
	d->dir[0] = '\0';
}

struct h_rsmd h_daemon;

int
h_group_setup(void **state)
{
	(void)state;
	return h_rsmd_start(&h_daemon, NULL) == 0 ? 0 : -1;
}

int
h_group_teardown(void **state)
{
	(void)state;
	h_rsmd_cleanup(&h_daemon);
	return 0;
}
