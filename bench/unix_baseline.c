/*
 * unix_baseline.c - plain request/reply over AF_UNIX SOCK_SEQPACKET, the
 * peer of the connect rate (unix_baseline.h).
 *
 * Every process is forked: the server, then the clients, each with its
 * own socketpair to the server.  The clients start together on one byte
 * each from a pipe and report their count and time through another; the
 * server answers every packet it reads and exits when its clients have
 * gone.  A forked child of the threaded benchmark calls only system calls
 * and the clock.
 */
#include "bench_util.h"
#include "unix_baseline.h"
#include "rsm_proto.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_PROCS	64
/* The sizes of IMPORT_CONNECT and of its reply. */
#define REQ_LEN		(sizeof(struct rsm_msg_hdr) + \
			    sizeof(struct rsm_msg_connect))
#define REPLY_LEN	(sizeof(struct rsm_msg_hdr) + \
			    sizeof(struct rsm_msg_connect_reply))

/* One epoll loop over every client's socket, as rsmd's; never returns. */
static void
serve(const int *fds, int n)
{
	struct epoll_event ev[MAX_PROCS];
	unsigned char buf[RSM_MSG_MAX];
	int ep, i, k, live = n;
	ssize_t r;

	if ((ep = epoll_create1(0)) < 0)
		_exit(1);
	for (i = 0; i < n; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.fd = fds[i] };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e) != 0)
			_exit(1);
	}
	memset(buf, 0, sizeof(buf));
	while (live > 0) {
		if ((k = epoll_wait(ep, ev, MAX_PROCS, -1)) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		for (i = 0; i < k; i++) {
			/* What is queued, as rsmd reads a burst. */
			while ((r = recv(ev[i].data.fd, buf, sizeof(buf),
			    MSG_DONTWAIT)) > 0)
				(void)send(ev[i].data.fd, buf, REPLY_LEN,
				    MSG_NOSIGNAL);
			if (r == 0 || (r < 0 && errno != EAGAIN &&
			    errno != EINTR)) {
				(void)epoll_ctl(ep, EPOLL_CTL_DEL,
				    ev[i].data.fd, NULL);
				live--;
			}
		}
	}
	_exit(0);
}

/* A client: round trips for ms from the go byte, then its count. */
static void
client(int fd, int go, int report, int ms)
{
	unsigned char buf[RSM_MSG_MAX];
	uint64_t res[2] = { 0, 0 };	/* count, elapsed ns */
	uint64_t t0, t, budget = (uint64_t)ms * 1000000u;
	char c;
	int k;

	memset(buf, 0, sizeof(buf));
	if (read(go, &c, 1) != 1)
		_exit(1);
	t0 = rsm_now_ns();
	do {
		for (k = 0; k < 64; k++) {
			if (send(fd, buf, REQ_LEN, MSG_NOSIGNAL) !=
			    (ssize_t)REQ_LEN ||
			    recv(fd, buf, sizeof(buf), 0) != (ssize_t)REPLY_LEN)
				_exit(1);
			res[0]++;
		}
		t = rsm_now_ns();
	} while (t - t0 < budget);
	res[1] = t - t0;
	/* One write below PIPE_BUF: the reports do not interleave. */
	_exit(write(report, res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 1);
}

int
unixb_rate(int nproc, int ms, double *rate)
{
	int sv[MAX_PROCS][2], srv_fds[MAX_PROCS], go[2], rep[2];
	pid_t pid[MAX_PROCS], server = -1;
	uint64_t res[2], total = 0, longest = 0;
	int i, made = 0, started = 0, rc = -1, status;

	if (nproc < 1 || nproc > MAX_PROCS) {
		errno = EINVAL;
		return -1;
	}
	if (pipe(go) != 0)
		return -1;
	if (pipe(rep) != 0) {
		close(go[0]);
		close(go[1]);
		return -1;
	}
	for (; made < nproc; made++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
		    sv[made]) != 0)
			goto out;
		srv_fds[made] = sv[made][0];
	}
	if ((server = fork()) < 0)
		goto out;
	if (server == 0) {
		for (i = 0; i < nproc; i++)
			close(sv[i][1]);
		close(go[0]);
		close(go[1]);
		close(rep[0]);
		close(rep[1]);
		serve(srv_fds, nproc);
	}
	for (; started < nproc; started++) {
		if ((pid[started] = fork()) < 0)
			goto out;
		if (pid[started] == 0)
			client(sv[started][1], go[0], rep[1], ms);
	}
	/* Only the children hold the sockets now: EOF ends the server. */
	for (i = 0; i < nproc; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	made = 0;
	close(rep[1]);
	rep[1] = -1;
	for (i = 0; i < nproc; i++)
		if (write(go[1], "g", 1) != 1)
			goto out;
	/* Every client's report; one that failed closes the pipe early. */
	for (i = 0; i < nproc; i++) {
		if (bench_read_all(rep[0], res, sizeof(res)) != 0)
			goto out;
		total += res[0];
		if (res[1] > longest)
			longest = res[1];
	}
	*rate = longest ? (double)total * 1e9 / (double)longest : 0;
	rc = 0;
out:
	for (i = 0; i < made; i++) {
		close(sv[i][0]);
		close(sv[i][1]);
	}
	close(go[0]);
	close(go[1]);
	close(rep[0]);
	if (rep[1] >= 0)
		close(rep[1]);
	for (i = 0; i < started; i++) {
		if (rc != 0)
			kill(pid[i], SIGKILL);
		while (waitpid(pid[i], &status, 0) < 0 && errno == EINTR)
			;
		if (rc == 0 && (!WIFEXITED(status) || WEXITSTATUS(status)))
			rc = -1;
	}
	if (server > 0) {
		if (rc != 0)
			kill(server, SIGKILL);
		while (waitpid(server, NULL, 0) < 0 && errno == EINTR)
			;
	}
	return rc;
}
