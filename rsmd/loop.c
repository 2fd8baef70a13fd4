/*
 * loop.c - what the daemon's event loop watches: descriptors and timers.
 *
 * Every descriptor in the epoll set is tagged with a struct rsmd_io whose
 * ready() the loop calls; a module (control socket, clients, peer links,
 * data connections) registers its own and never edits the loop.  Timers
 * are a short list kept in due order: the daemon has a handful (heartbeats,
 * retries), not thousands, so a sorted list beats a heap here.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "rsmd.h"
#include "rsm_clock.h"
#include "log.h"

static int
io_ctl(struct rsmd *rs, int op, struct rsmd_io *io, uint32_t events)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = io;
	return epoll_ctl(rs->epfd, op, io->fd, &ev);
}

int
rsmd_io_add(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	return io_ctl(rs, EPOLL_CTL_ADD, io, events);
}

int
rsmd_io_mod(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	return io_ctl(rs, EPOLL_CTL_MOD, io, events);
}

void
rsmd_io_del(struct rsmd *rs, struct rsmd_io *io)
{
	epoll_ctl(rs->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

void
rsmd_timer_set(struct rsmd *rs, struct rsmd_timer *t, uint64_t due_ms)
{
	struct rsmd_timer *at;

	if (t->armed)
		TAILQ_REMOVE(&rs->timers, t, link);
	t->due_ms = due_ms;
	t->armed = 1;
	TAILQ_FOREACH(at, &rs->timers, link)
		if (at->due_ms > due_ms)
			break;
	if (at != NULL)
		TAILQ_INSERT_BEFORE(at, t, link);
	else
		TAILQ_INSERT_TAIL(&rs->timers, t, link);
}

void
rsmd_timer_cancel(struct rsmd *rs, struct rsmd_timer *t)
{
	if (!t->armed)
		return;
	TAILQ_REMOVE(&rs->timers, t, link);
	t->armed = 0;
}

int
rsmd_timer_wait_ms(const struct rsmd *rs, int cap_ms)
{
	const struct rsmd_timer *t = TAILQ_FIRST(&rs->timers);
	uint64_t now;

	if (t == NULL)
		return cap_ms;
	now = rsm_now_ms();
	if (t->due_ms <= now)
		return 0;
	if (cap_ms >= 0 && t->due_ms - now > (uint64_t)cap_ms)
		return cap_ms;
	return t->due_ms - now > (uint64_t)INT32_MAX ? INT32_MAX :
	    (int)(t->due_ms - now);
}

void
rsmd_timer_run(struct rsmd *rs)
{
	struct rsmd_timer *t;
	uint64_t now = rsm_now_ms();

	/* A timer may re-arm itself; it then sorts after `now` and ends the loop. */
	while ((t = TAILQ_FIRST(&rs->timers)) != NULL && t->due_ms <= now) {
		TAILQ_REMOVE(&rs->timers, t, link);
		t->armed = 0;
		t->fire(rs, t);
	}
}
