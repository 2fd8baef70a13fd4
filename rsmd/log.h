/*
 * log.h - rsmd's logging: stderr in the foreground, syslog once
 * daemonised.  log_warn and fatal append strerror(errno); the x variants
 * do not.
 */
#ifndef RSMD_LOG_H
#define RSMD_LOG_H

#include <stdarg.h>

/* RSMERR codes are logged by name: rsm_err_name(rc), "RSMERR_TIMEOUT". */
#include "rsm_err.h"

void	 log_init(int foreground, int level);
void	 log_setlevel(int level);
int	 log_getlevel(void);
void	 log_errx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* RSMD_LOG_H */
