/*
 * job_env.c - a job described by the environment, for programs started
 * by hand: RSM_JOB_RANK, RSM_JOB_SIZE and, for more than one rank,
 * RSM_JOB_ROOT=HOST:PORT, where rank 0 listens.  Every other rank
 * connects there (retrying until the timeout, as rank 0 may start last)
 * and stays connected; an exchange is one frame from each rank to rank 0
 * and the whole table back.  Rank 0 checks at the hello that the ranks
 * are distinct and agree on the size, and tells everyone why it gives up.
 * Frames are in host byte order: the ranks run one architecture.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "job_int.h"

#define HELLO_MAGIC 0x4a4d5352u	/* "RSMJ" */

struct hello { uint32_t magic, rank, size; };
struct verdict { int32_t status; uint32_t msglen; };
struct frame { int32_t status; uint32_t len, seq; };

struct env_be {
	int	*fds;		/* rank 0: one per rank (fds[0] unused); else fds[0] */
	uint32_t nfds;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for fd to be ready for ev before deadline: 0, or -1 (timeout or error). */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = fd, .events = ev };
		int n;

		if (left <= 0)
			return -1;
		n = poll(&p, 1, left > 1000000 ? 1000000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* 0, 1 on timeout, -1 on a closed or broken connection. */
static int
io_full(int fd, void *buf, size_t n, int wr, int64_t deadline)
{
	char *p = buf;

	while (n > 0) {
		ssize_t r;

		if (wait_fd(fd, wr ? POLLOUT : POLLIN, deadline) != 0)
			return now_ms() >= deadline ? 1 : -1;
		r = wr ? send(fd, p, n, MSG_NOSIGNAL) : recv(fd, p, n, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int
root_addr(struct rsm_job *job, const char *spec, struct addrinfo **ai, int passive)
{
	char host[256], *colon;
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	int rc;

	if (strlen(spec) >= sizeof(host) || (colon = strrchr(strcpy(host, spec), ':')) == NULL ||
	    colon == host || colon[1] == '\0')
		return job_fail(job, RSMERR_BAD_CONF,
		    "RSM_JOB_ROOT=%s is not HOST:PORT", spec);
	*colon = '\0';
	if (passive)
		hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(host, colon + 1, &hints, ai);
	if (rc != 0)
		return job_fail(job, RSMERR_BAD_CONF, "RSM_JOB_ROOT=%s: %s",
		    spec, gai_strerror(rc));
	return 0;
}

static void
env_fini(struct rsm_job *job)
{
	struct env_be *be = job->be;
	uint32_t i;

	if (be == NULL)
		return;
	for (i = 0; i < be->nfds; i++)
		if (be->fds[i] >= 0)
			close(be->fds[i]);
	free(be->fds);
	free(be);
	job->be = NULL;
}

/* Rank 0 tells one rank its verdict (best effort: it may be gone). */
static void
tell(int fd, int status, const char *msg, int64_t deadline)
{
	struct verdict v = { status, (uint32_t)strlen(msg) };

	if (io_full(fd, &v, sizeof(v), 1, deadline) == 0)
		(void)io_full(fd, (void *)msg, v.msglen, 1, deadline);
}

static int
root_join(struct rsm_job *job, struct env_be *be, const char *spec)
{
	struct addrinfo *ai;
	int lfd, one = 1, err = 0;
	uint32_t joined = 0, i;
	int64_t deadline = now_ms() + job->timeout_ms;
	char why[256] = "";

	if ((err = root_addr(job, spec, &ai, 1)) != 0)
		return err;
	lfd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, ai->ai_addr, ai->ai_addrlen) || listen(lfd, 128)) {
		err = job_fail(job, RSMERR_BAD_CONF, "rank 0 cannot listen on "
		    "RSM_JOB_ROOT=%s: %s", spec, strerror(errno));
		freeaddrinfo(ai);
		if (lfd >= 0)
			close(lfd);
		return err;
	}
	freeaddrinfo(ai);
	while (joined < job->size - 1 && err == 0) {
		struct hello h;
		int fd;

		if (wait_fd(lfd, POLLIN, deadline) != 0)
			break;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (io_full(fd, &h, sizeof(h), 0, deadline) != 0 ||
		    h.magic != HELLO_MAGIC) {
			close(fd);
			continue;
		}
		if (h.size != job->size) {
			snprintf(why, sizeof(why), "mismatched job sizes: rank 0 "
			    "has RSM_JOB_SIZE=%u, rank %u has %u", job->size,
			    h.rank, h.size);
			err = RSMERR_BAD_CONF;
		} else if (h.rank == 0 || h.rank >= job->size ||
		    be->fds[h.rank] >= 0) {
			snprintf(why, sizeof(why), "two processes claim rank %u "
			    "of %u", h.rank, job->size);
			err = RSMERR_BAD_CONF;
		}
		if (err != 0) {
			tell(fd, err, why, deadline);
			close(fd);
			break;
		}
		be->fds[h.rank] = fd;
		joined++;
	}
	close(lfd);
	if (err == 0 && joined < job->size - 1) {
		for (i = 1; i < job->size && be->fds[i] >= 0; i++)
			;
		snprintf(why, sizeof(why), "rank %u of %u did not join at "
		    "RSM_JOB_ROOT=%s within %d ms", i, job->size, spec,
		    job->timeout_ms);
		err = RSMERR_TIMEOUT;
	}
	deadline = now_ms() + job->timeout_ms;
	for (i = 1; i < job->size; i++)
		if (be->fds[i] >= 0)
			tell(be->fds[i], err, why, deadline);
	if (err != 0)
		return job_fail(job, err, "%s", why);
	return 0;
}

static int
rank_join(struct rsm_job *job, struct env_be *be, const char *spec)
{
	struct addrinfo *ai;
	struct hello h = { HELLO_MAGIC, job->rank, job->size };
	struct verdict v;
	int64_t deadline = now_ms() + job->timeout_ms;
	int fd = -1, one = 1, err, r;
	char msg[256];

	if ((err = root_addr(job, spec, &ai, 0)) != 0)
		return err;
	for (;;) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (fd >= 0)
			close(fd);
		fd = -1;
		if (now_ms() >= deadline)
			break;
		usleep(20000);	/* the retry interval while rank 0 starts */
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return job_fail(job, RSMERR_TIMEOUT, "rank 0 does not answer at "
		    "RSM_JOB_ROOT=%s within %d ms", spec, job->timeout_ms);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	be->fds[0] = fd;
	if (io_full(fd, &h, sizeof(h), 1, deadline) != 0 ||
	    (r = io_full(fd, &v, sizeof(v), 0, deadline)) != 0)
		return job_fail(job, RSMERR_TIMEOUT, "rank 0 at RSM_JOB_ROOT=%s "
		    "did not admit this rank within %d ms", spec, job->timeout_ms);
	if (v.status != 0) {
		if (v.msglen >= sizeof(msg) ||
		    io_full(fd, msg, v.msglen, 0, deadline) != 0)
			v.msglen = 0;
		msg[v.msglen] = '\0';
		return job_fail(job, v.status, "rank 0 refused the job: %s", msg);
	}
	return 0;
}

static int
env_exchange(struct rsm_job *job, const struct job_entry *mine)
{
	struct env_be *be = job->be;
	int64_t deadline = now_ms() + job->timeout_ms;
	struct frame f;
	uint32_t r;
	int err = 0;

	job->seq++;
	if (job->rank != 0) {
		f = (struct frame){ mine->status, mine->len, job->seq };
		if (io_full(be->fds[0], &f, sizeof(f), 1, deadline) != 0 ||
		    io_full(be->fds[0], (void *)mine->val, mine->len, 1, deadline) != 0)
			return job_fail(job, RSMERR_CONN_ABORTED, "lost rank 0");
		for (r = 0; r < job->size; r++) {
			struct job_entry *e = &job->ents[r];
			int x = io_full(be->fds[0], &f, sizeof(f), 0, deadline);

			if (x == 0 && (f.len > RSM_JOB_MAX_VALUE || f.seq != job->seq))
				x = -1;
			if (x == 0)
				x = io_full(be->fds[0], e->val, f.len, 0, deadline);
			if (x > 0)
				return job_fail(job, RSMERR_TIMEOUT, "rank 0 did "
				    "not complete exchange %u within %d ms",
				    job->seq, job->timeout_ms);
			if (x < 0)
				return job_fail(job, RSMERR_CONN_ABORTED,
				    "lost rank 0 in exchange %u", job->seq);
			e->status = f.status;
			e->len = f.len;
		}
		return 0;
	}
	job->ents[0] = *mine;
	for (r = 1; r < job->size; r++) {
		struct job_entry *e = &job->ents[r];
		int x = -1;

		if (be->fds[r] >= 0) {
			x = io_full(be->fds[r], &f, sizeof(f), 0, deadline);
			if (x == 0 && (f.len > RSM_JOB_MAX_VALUE || f.seq != job->seq))
				x = -1;
			if (x == 0)
				x = io_full(be->fds[r], e->val, f.len, 0, deadline);
		}
		if (x == 0) {
			e->status = f.status;
			e->len = f.len;
			continue;
		}
		/* That rank is gone or late: everyone hears it as its status. */
		e->status = x > 0 ? RSMERR_TIMEOUT : RSMERR_CONN_ABORTED;
		e->len = 0;
		if (be->fds[r] >= 0)
			close(be->fds[r]);
		be->fds[r] = -1;
	}
	for (r = 1; r < job->size; r++) {
		uint32_t k;

		if (be->fds[r] < 0)
			continue;
		for (k = 0; k < job->size && err == 0; k++) {
			f = (struct frame){ job->ents[k].status, job->ents[k].len, job->seq };
			if (io_full(be->fds[r], &f, sizeof(f), 1, deadline) != 0 ||
			    io_full(be->fds[r], job->ents[k].val, f.len, 1, deadline) != 0)
				break;
		}
	}
	return 0;
}

static int
env_num(struct rsm_job *job, const char *name, uint32_t *out)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	errno = 0;
	v = s != NULL ? strtoul(s, &end, 10) : 0;
	if (s == NULL || *s == '\0' || *end != '\0' || errno != 0 || v >= 1u << 24)
		return job_fail(job, RSMERR_BAD_CONF, "%s=%s is not a number "
		    "below 16777216", name, s != NULL ? s : "(unset)");
	*out = (uint32_t)v;
	return 0;
}

int
job_env_open(struct rsm_job *job)
{
	struct env_be *be;
	const char *spec = getenv("RSM_JOB_ROOT");
	uint32_t i;
	int err;

	job->rank = 0;
	job->size = 1;
	if (getenv("RSM_JOB_RANK") != NULL || getenv("RSM_JOB_SIZE") != NULL) {
		if ((err = env_num(job, "RSM_JOB_RANK", &job->rank)) != 0 ||
		    (err = env_num(job, "RSM_JOB_SIZE", &job->size)) != 0)
			return err;
		if (job->size == 0 || job->rank >= job->size)
			return job_fail(job, RSMERR_BAD_CONF, "RSM_JOB_RANK=%u is "
			    "not below RSM_JOB_SIZE=%u", job->rank, job->size);
		job->launcher = RSM_JOB_LAUNCHER_ENV;
	} else {
		job->launcher = RSM_JOB_LAUNCHER_NONE;
	}
	if (job->size > 1 && (spec == NULL || *spec == '\0'))
		return job_fail(job, RSMERR_BAD_CONF, "a job of %u ranks without "
		    "a launcher needs RSM_JOB_ROOT=HOST:PORT (where rank 0 "
		    "listens)", job->size);
	be = calloc(1, sizeof(*be));
	if (be == NULL || (be->fds = malloc(job->size * sizeof(int))) == NULL) {
		free(be);
		return job_fail(job, RSMERR_INSUFFICIENT_MEM, "out of memory");
	}
	be->nfds = job->rank == 0 ? job->size : 1;
	for (i = 0; i < job->size; i++)
		be->fds[i] = -1;
	job->be = be;
	job->exchange = env_exchange;
	job->fini = env_fini;
	if (job->size == 1)
		return 0;
	return job->rank == 0 ? root_join(job, be, spec) : rank_join(job, be, spec);
}
