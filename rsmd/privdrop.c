/*
 * privdrop.c - leave root behind (privdrop.h).
 *
 * The order matters: empty the bounding set but for CAP_IPC_LOCK while
 * still root, keep capabilities across setuid (PR_SET_KEEPCAPS),
 * set the groups, the gid, then the uid, all three ids of each (so there
 * is no saved root id to return to), then cut the capability sets down to
 * CAP_IPC_LOCK and forbid new privileges.  Last, prove it: setuid(0) must
 * fail, or rsmd refuses to run.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

/* capset(2) without libcap: the two 32-bit words of version 3. */
static int
keep_only_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective = CAP_TO_MASK(CAP_IPC_LOCK);
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].permitted = CAP_TO_MASK(CAP_IPC_LOCK);
	return (int)syscall(SYS_capset, &hdr, data);
}

int
privdrop(const char *user, const char *socket_path)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user = %s: no such user%s%s", user,
		    errno ? ": " : "", errno ? strerror(errno) : "");
		return -1;
	}
	if (getuid() == pw->pw_uid && geteuid() == pw->pw_uid)
		return 0;
	if (geteuid() != 0) {
		log_warnx("user = %s: rsmd runs as uid %u and cannot become "
		    "uid %u", user, (unsigned)geteuid(), (unsigned)pw->pw_uid);
		return -1;
	}
	/* Reloads chmod the socket (socket_mode); the owner may. */
	if (socket_path != NULL &&
	    chown(socket_path, pw->pw_uid, pw->pw_gid) == -1)
		log_warn("chown %s", socket_path);
	/* While still root: nothing but CAP_IPC_LOCK can ever come back. */
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
		if (cap != CAP_IPC_LOCK &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			log_warn("user = %s: cannot drop capability %d", user,
			    cap);
			return -1;
		}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == -1 ||
	    initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1) {
		log_warn("user = %s: cannot change to uid %u gid %u", user,
		    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
		return -1;
	}
	if (keep_only_ipc_lock() == -1 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) == -1 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1) {
		log_warn("user = %s: cannot drop capabilities", user);
		return -1;
	}
	if (setuid(0) == 0) {
		log_warnx("user = %s: root could be regained", user);
		return -1;
	}
	log_info("running as %s (uid %u gid %u), keeping CAP_IPC_LOCK", user,
	    (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	return 0;
}
