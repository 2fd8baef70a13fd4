/*
 * log.c - rsmd's logging (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "rsmd.h"
#include "log.h"
#include "rsm_clock.h"
#include "rsm_ratelimit.h"

static int log_to_stderr = 1;
static int log_stamped;
static int log_level = RSMD_LOG_INFO;

void
log_init(int foreground, int stamped, int level)
{
	log_to_stderr = foreground;
	log_stamped = foreground && stamped;
	log_level = level;
	if (!foreground)
		openlog("rsmd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

/*
 * "2026-12-02T14:03:07.123Z ": the wall clock in UTC, the one time two
 * hosts' logs can be lined up by whatever their time zones; or "" when
 * lines are not stamped.
 */
static void
stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	buf[0] = '\0';
	if (!log_stamped || clock_gettime(CLOCK_REALTIME, &ts) == -1 ||
	    gmtime_r(&ts.tv_sec, &tm) == NULL)
		return;
	if ((n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf + n, len - n, ".%03ldZ ", ts.tv_nsec / 1000000L);
}

static void
vlog(int level, int pri, const char *fmt, va_list ap, int with_errno)
{
	char msg[1024], when[40];
	int saved = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to_stderr) {
		stamp(when, sizeof(when));
		/* One fprintf a line: stderr is unbuffered, one write each. */
		if (with_errno)
			fprintf(stderr, "%srsmd: %s: %s\n", when, msg,
			    strerror(saved));
		else
			fprintf(stderr, "%srsmd: %s\n", when, msg);
	} else {
		if (with_errno)
			syslog(pri, "%s: %s", msg, strerror(saved));
		else
			syslog(pri, "%s", msg);
	}
	errno = saved;
}

/*
 * The printf-like entry points differ only in their level, the syslog
 * priority and whether strerror(errno) is appended (the _x forms do not).
 */
#define LOG_FN(name, level, pri, with_errno)		\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	vlog((level), (pri), fmt, ap, (with_errno));	\
	va_end(ap);					\
}

LOG_FN(log_errx, RSMD_LOG_ERROR, LOG_ERR, 0)
LOG_FN(log_warn, RSMD_LOG_WARN, LOG_WARNING, 1)
LOG_FN(log_warnx, RSMD_LOG_WARN, LOG_WARNING, 0)
LOG_FN(log_info, RSMD_LOG_INFO, LOG_INFO, 0)
LOG_FN(log_debug, RSMD_LOG_DEBUG, LOG_DEBUG, 0)

static int
syslog_pri(int level)
{
	switch (level) {
	case RSMD_LOG_ERROR:
		return LOG_ERR;
	case RSMD_LOG_WARN:
		return LOG_WARNING;
	case RSMD_LOG_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

static void
log_at(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, syslog_pri(level), fmt, ap, 0);
	va_end(ap);
}

void
log_refusal(struct rsm_ratelimit *rl, int level, const char *fmt, ...)
{
	unsigned dropped;
	va_list ap;

	/* A line that would not be written does not use up the burst. */
	if (level > log_level)
		return;
	if (!rsm_ratelimit_allow(rl, rsm_now_ms(), &dropped))
		return;
	if (dropped > 0)
		log_at(level, "%u more refusal%s not logged", dropped,
		    dropped == 1 ? "" : "s");
	va_start(ap, fmt);
	vlog(level, syslog_pri(level), fmt, ap, 0);
	va_end(ap);
}

#define FATAL_FN(name, with_errno)			\
void							\
name(const char *fmt, ...)				\
{							\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	vlog(RSMD_LOG_ERROR, LOG_CRIT, fmt, ap, (with_errno));	\
	va_end(ap);					\
	exit(1);					\
}

FATAL_FN(fatal, 1)
FATAL_FN(fatalx, 0)
