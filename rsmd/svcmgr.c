/*
 * svcmgr.c - sd_notify(3) for rsmd (svcmgr.h).  libsystemd does the
 * talking (the socket in $NOTIFY_SOCKET, abstract or not); rsmd only says
 * when.  Notification failures are ignored: a service manager that does
 * not listen must not stop the daemon.
 */
#include "config.h"

#include <stdint.h>
#include <time.h>

#include "svcmgr.h"

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void
svcmgr_ready(uint32_t node_id, const char *socket_path)
{
	(void)sd_notifyf(0, "READY=1\nSTATUS=node %u serving on %s",
	    (unsigned)node_id, socket_path);
}

void
svcmgr_reloading(void)
{
	struct timespec ts;

	/* systemd 253+ matches the reload by this timestamp. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	(void)sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ull +
	    (unsigned long long)ts.tv_nsec / 1000ull);
}

void
svcmgr_stopping(void)
{
	(void)sd_notify(0, "STOPPING=1");
}

void
svcmgr_failed(const char *why)
{
	(void)sd_notifyf(0, "STATUS=%s", why);
}

#else	/* !HAVE_SYSTEMD */

void
svcmgr_ready(uint32_t node_id, const char *socket_path)
{
	(void)node_id;
	(void)socket_path;
}

void
svcmgr_reloading(void)
{
}

void
svcmgr_stopping(void)
{
}

void
svcmgr_failed(const char *why)
{
	(void)why;
}

#endif
