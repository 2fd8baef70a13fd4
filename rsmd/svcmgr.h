/*
 * svcmgr.h - what rsmd tells the service manager (systemd, Type=notify):
 * ready once it serves, reloading around a SIGHUP, stopping at the end.
 * Without $NOTIFY_SOCKET, or built without libsystemd, each is a no-op.
 */
#ifndef RSMD_SVCMGR_H
#define RSMD_SVCMGR_H

#include <stdint.h>

/* The socket is listening and the data services serve: READY=1. */
void	svcmgr_ready(uint32_t node_id, const char *socket_path);
/* A SIGHUP began a reload: RELOADING=1 (svcmgr_ready ends it). */
void	svcmgr_reloading(void);
/* The daemon is shutting down: STOPPING=1. */
void	svcmgr_stopping(void);
/* A start that failed, for `systemctl status`: STATUS=why. */
void	svcmgr_failed(const char *why);

#endif
