/*
 * verbs_addr.h - the IP addresses of an RDMA device.  rdma_cm puts a
 * queue pair (or a listener) on the device of the address it binds, so
 * both the importing library (which address verbsN connects from) and the
 * daemon (which addresses it listens on, one per device) need to know
 * them; both ask this code.
 */
#ifndef RSM_VERBS_ADDR_H
#define RSM_VERBS_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "verbs_dl.h"

/* At most this many addresses of one device are looked at. */
#define VERBS_ADDRS_MAX	16u

struct verbs_ifaddr {
	struct sockaddr_storage sa;	/* port 0 */
	unsigned	 prefix;	/* network prefix length, bits */
};

/*
 * The addresses of device `unit` (ibv_get_device_list order): those of
 * the network devices of its port 1 GID table (RoCE), then of the IPoIB
 * interfaces under it in sysfs, in that interface order; family AF_INET,
 * AF_INET6 or AF_UNSPEC (both).  IPv6 link-local addresses are skipped
 * (they would need a scope).  The device's name goes to name.  The count
 * (at most max), or -1 when there is no such device.
 */
int	 verbs_dev_addrs(const struct verbs_dl *v, unsigned unit, int family,
	    struct verbs_ifaddr *out, unsigned max, char *name,
	    size_t namelen);
/* Whether sa is on a's network (same family, same first a->prefix bits). */
int	 verbs_addr_same_net(const struct verbs_ifaddr *a,
	    const struct sockaddr *sa);

#endif /* RSM_VERBS_ADDR_H */
