/*
 * cmd_monitor.c - "rsmadm monitor": subscribe to the node's events and
 * print each one as it comes (a line of text, or with -j one JSON object
 * per line), flushed at once so the stream can be piped.
 *
 * This is the one wait of rsmadm with no deadline: it ends on SIGINT or
 * SIGTERM (exit 0), and when rsmd goes away (exit 2, said on stderr).
 * The signals are blocked except inside ppoll(), so one that arrives
 * between two events is never lost.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rsmadm.h"
#include "rsmapi.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Block SIGINT and SIGTERM, to be taken only inside ppoll(). */
static int
catch_signals(sigset_t *during_poll)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1)
		return -1;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, during_poll) == -1)
		return -1;
	sigdelset(during_poll, SIGINT);
	sigdelset(during_poll, SIGTERM);
	return 0;
}

static int
gone(const char *path, const char *why)
{
	fprintf(stderr, "rsmadm: monitor: rsmd at %s went away: %s\n", path,
	    why);
	return ADM_EXIT_UNREACHABLE;
}

/* Print one notification; replies to nothing asked are a fault. */
static int
show(const struct adm_conn *c, const unsigned char *b, size_t n,
    const struct adm_output *out)
{
	struct rsm_msg_hdr h;
	struct rsm_msg_mon_event ev;

	memcpy(&h, b, sizeof(h));
	if (h.id != 0 || h.type != RSM_MSG_MON_EVENT) {
		/* Other notifications are for handles, which rsmadm has none of. */
		if (h.id == 0)
			return 0;
		fprintf(stderr, "rsmadm: monitor: malformed message from rsmd "
		    "at %s: a reply to a request never sent\n", c->path);
		return ADM_EXIT_UNREACHABLE;
	}
	(void)n;
	memcpy(&ev, b + sizeof(h), sizeof(ev));
	if ((ev.dropped != 0 && out->dropped(ev.dropped) != 0) ||
	    out->event(&ev) != 0 || fflush(stdout) != 0) {
		perror("rsmadm: writing output");
		return ADM_EXIT_USAGE;
	}
	return 0;
}

int
adm_monitor(const char *path, const struct adm_output *out)
{
	union {
		struct rsm_msg_hdr h;
		unsigned char b[RSM_MSG_MAX];
	} buf;
	struct adm_conn c;
	struct pollfd pfd;
	sigset_t during_poll;
	ssize_t n;
	int rc, fd, nfds, chk;

	if (catch_signals(&during_poll) == -1) {
		perror("rsmadm: monitor: signals");
		return ADM_EXIT_USAGE;
	}
	if ((rc = adm_open(&c, path)) != 0)
		return rc;
	if ((rc = adm_call(&c, RSM_MSG_MONITOR, NULL, 0, NULL, 0, NULL)) != 0) {
		adm_close(&c);
		return rc;
	}
	pfd.fd = c.fd;
	pfd.events = POLLIN;
	while (!stop) {
		if (ppoll(&pfd, 1, NULL, &during_poll) == -1) {
			if (errno == EINTR)
				continue;
			rc = gone(path, strerror(errno));
			break;
		}
		n = rsm_msg_recv(c.fd, buf.b, sizeof(buf.b), &fd, &nfds);
		if (n < 0 && errno == EAGAIN)
			continue;
		if (fd >= 0)
			close(fd);
		if (n <= 0) {
			rc = gone(path, n == 0 ? "connection closed" :
			    strerror(errno));
			break;
		}
		if ((chk = rsm_msg_check(buf.b, (size_t)n, nfds, 1)) != 0) {
			fprintf(stderr, "rsmadm: monitor: malformed message "
			    "from rsmd at %s: %s\n", path,
			    rsm_msgchk_str(chk));
			rc = ADM_EXIT_UNREACHABLE;
			break;
		}
		if ((rc = show(&c, buf.b, (size_t)n, out)) != 0)
			break;
	}
	adm_close(&c);
	return stop && rc == 0 ? ADM_EXIT_OK : rc;
}
