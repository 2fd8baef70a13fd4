/*
 * privdrop.h - rsmd gives up root once it holds what needs it (config
 * key "user"): that user's uid, gid and groups, and of all capabilities
 * only CAP_IPC_LOCK, for pinning RDMA registrations.
 */
#ifndef RSMD_PRIVDROP_H
#define RSMD_PRIVDROP_H

/*
 * Become `user` for good; 0 on success (also when rsmd already runs as
 * that user), -1 after logging why.  Call once, after the sockets and
 * devices are open; the listening socket at socket_path (may be NULL) is
 * given to the user first, so that a reload can still chmod it.
 */
int	privdrop(const char *user, const char *socket_path);

#endif
