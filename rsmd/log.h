/*
 * log.h - rsmd's logging: stderr in the foreground, syslog once
 * daemonised.  log_warn and fatal append strerror(errno); the x variants
 * do not.
 *
 * A daemon running in the foreground starts each line with the time, UTC
 * to the millisecond ("2026-12-02T14:03:07.123Z rsmd: ..."), so that the
 * logs of several nodes can be merged; syslog stamps its own lines, and
 * what rsmd prints as a command (rsmd -n, a refusal to start before
 * detaching) carries no time, so it reads as any command's errors.
 */
#ifndef RSMD_LOG_H
#define RSMD_LOG_H

#include <stdarg.h>

/* RSMERR codes are logged by name: rsm_err_name(rc), "RSMERR_TIMEOUT". */
#include "rsm_err.h"

struct rsm_ratelimit;

/*
 * foreground: stderr, else syslog.  stamped: stderr lines start with the
 * time (a running foreground daemon).
 */
void	 log_init(int foreground, int stamped, int level);
void	 log_setlevel(int level);
int	 log_getlevel(void);
void	 log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * A refusal that whoever was refused can provoke again at will: logged at
 * level (RSMD_LOG_WARN or RSMD_LOG_INFO) when rl lets it through, after a
 * line saying how many refusals rl held back before it.
 */
void	 log_refusal(struct rsm_ratelimit *rl, int level, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* RSMD_LOG_H */
