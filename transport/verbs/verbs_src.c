/*
 * verbs_src.c - the address an import through controller verbsN connects
 * from, so that its queue pair lives on device N and not on whichever
 * device the route to the exporting daemon happens to leave through.
 *
 * rdma_cm picks the local device by the source address it binds to.
 * Device N's addresses are those of its network devices: for RoCE the
 * GID table names them (each entry's netdev), for InfiniBand they are
 * the IPoIB interfaces under the device in sysfs.  The first address of
 * the destination's family is taken; IPv6 link-local addresses are
 * skipped (they would need the scope of the destination).
 */
#include "verbs/verbs.h"

#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define SRC_IFS_MAX	16
#define SRC_GIDS_MAX	512

/* Add ifindex to ifs[0..*n) unless it is there. */
static void
add_if(unsigned *ifs, unsigned *n, unsigned ifindex)
{
	unsigned i;

	if (ifindex == 0 || *n >= SRC_IFS_MAX)
		return;
	for (i = 0; i < *n; i++)
		if (ifs[i] == ifindex)
			return;
	ifs[(*n)++] = ifindex;
}

/* The network devices of port 1 of ctx's device, by GID table and sysfs. */
static unsigned
dev_ifs(const struct verbs_dl *v, struct ibv_context *ctx, const char *name,
    unsigned *ifs)
{
	struct ibv_gid_entry ent[SRC_GIDS_MAX];
	char path[160];
	struct dirent *de;
	unsigned n = 0;
	ssize_t k, i;
	DIR *d;

	if (v->query_gid_table != NULL) {
		k = v->query_gid_table(ctx, ent, SRC_GIDS_MAX, 0,
		    sizeof(ent[0]));
		for (i = 0; i < k; i++)
			if (ent[i].port_num == 1)
				add_if(ifs, &n, ent[i].ndev_ifindex);
	}
	snprintf(path, sizeof(path), "/sys/class/infiniband/%s/device/net",
	    name);
	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL)
			if (de->d_name[0] != '.')
				add_if(ifs, &n, if_nametoindex(de->d_name));
		(void)closedir(d);
	}
	return n;
}

static int
usable(const struct sockaddr *sa, int family)
{
	const struct sockaddr_in6 *s6;

	if (sa == NULL || sa->sa_family != family)
		return 0;
	if (family != AF_INET6)
		return 1;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	return !IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr);
}

int
verbs_src_addr(const struct verbs_dl *v, unsigned unit, int family,
    struct sockaddr_storage *src, char *name, size_t namelen)
{
	struct ibv_device **list;
	struct ibv_context *ctx;
	struct ifaddrs *ifa, *a;
	unsigned ifs[SRC_IFS_MAX], nifs = 0, i, best = SRC_IFS_MAX, ix;
	int n = 0;

	if ((list = v->get_device_list(&n)) == NULL)
		return -1;
	if (unit >= (unsigned)(n > 0 ? n : 0)) {
		v->free_device_list(list);
		return -1;
	}
	snprintf(name, namelen, "%s", v->get_device_name(list[unit]));
	if ((ctx = v->open_device(list[unit])) != NULL) {
		nifs = dev_ifs(v, ctx, name, ifs);
		(void)v->close_device(ctx);
	}
	v->free_device_list(list);
	if (nifs == 0 || getifaddrs(&ifa) != 0)
		return -1;
	/*
	 * The first usable address of the earliest of the device's
	 * interfaces: one pass, one interface lookup per address.
	 */
	for (a = ifa; a != NULL && best != 0; a = a->ifa_next) {
		if (!usable(a->ifa_addr, family))
			continue;
		ix = if_nametoindex(a->ifa_name);
		for (i = 0; i < nifs && i < best; i++)
			if (ifs[i] == ix) {
				best = i;
				memset(src, 0, sizeof(*src));
				memcpy(src, a->ifa_addr, family == AF_INET ?
				    sizeof(struct sockaddr_in) :
				    sizeof(struct sockaddr_in6));
			}
	}
	freeifaddrs(ifa);
	return best < SRC_IFS_MAX ? 0 : -1;
}
