/*
 * log.c - rsmd's logging (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "rsmd.h"
#include "log.h"

static int log_to_stderr = 1;
static int log_level = RSMD_LOG_INFO;

void
log_init(int foreground, int level)
{
	log_to_stderr = foreground;
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

static void
vlog(int level, int pri, const char *fmt, va_list ap, int with_errno)
{
	char msg[1024];
	int saved = errno;

	if (level > log_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_to_stderr) {
		if (with_errno)
			fprintf(stderr, "rsmd: %s: %s\n", msg, strerror(saved));
		else
			fprintf(stderr, "rsmd: %s\n", msg);
	} else {
		if (with_errno)
			syslog(pri, "%s: %s", msg, strerror(saved));
		else
			syslog(pri, "%s", msg);
	}
	errno = saved;
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RSMD_LOG_ERROR, LOG_ERR, fmt, ap, 0);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RSMD_LOG_WARN, LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RSMD_LOG_WARN, LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RSMD_LOG_INFO, LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RSMD_LOG_DEBUG, LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RSMD_LOG_ERROR, LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(RSMD_LOG_ERROR, LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
