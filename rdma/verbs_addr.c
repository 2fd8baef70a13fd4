/*
 * verbs_addr.c - the IP addresses of an RDMA device (verbs_addr.h).
 *
 * A device's addresses are those of its network devices: for RoCE the
 * GID table names them (each entry's netdev), for InfiniBand they are the
 * IPoIB interfaces under the device in sysfs.
 */
#include "verbs_addr.h"

#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#define ADDR_IFS_MAX	16
#define ADDR_GIDS_MAX	512

/* Add ifindex to ifs[0..*n) unless it is there. */
static void
add_if(unsigned *ifs, unsigned *n, unsigned ifindex)
{
	unsigned i;

	if (ifindex == 0 || *n >= ADDR_IFS_MAX)
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
	struct ibv_gid_entry ent[ADDR_GIDS_MAX];
	char path[160];
	struct dirent *de;
	unsigned n = 0;
	ssize_t k, i;
	DIR *d;

	if (v->query_gid_table != NULL) {
		k = v->query_gid_table(ctx, ent, ADDR_GIDS_MAX, 0,
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

	if (sa == NULL || (sa->sa_family != AF_INET &&
	    sa->sa_family != AF_INET6))
		return 0;
	if (family != AF_UNSPEC && sa->sa_family != family)
		return 0;
	if (sa->sa_family != AF_INET6)
		return 1;
	s6 = (const struct sockaddr_in6 *)(const void *)sa;
	return !IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr);
}

/* The length of a netmask's leading run of ones. */
static unsigned
mask_bits(const struct sockaddr *m)
{
	const uint8_t *b;
	unsigned len, i, bits = 0;

	if (m == NULL)
		return 0;
	if (m->sa_family == AF_INET6) {
		b = (const uint8_t *)&((const struct sockaddr_in6 *)
		    (const void *)m)->sin6_addr;
		len = 16;
	} else {
		b = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)m)->sin_addr;
		len = 4;
	}
	for (i = 0; i < len && b[i] == 0xff; i++)
		bits += 8;
	if (i < len)
		for (uint8_t x = b[i]; x & 0x80; x = (uint8_t)(x << 1))
			bits++;
	return bits;
}

int
verbs_dev_addrs(const struct verbs_dl *v, unsigned unit, int family,
    struct verbs_ifaddr *out, unsigned max, char *name, size_t namelen)
{
	struct ibv_device **list;
	struct ibv_context *ctx;
	struct ifaddrs *ifa, *a;
	unsigned ifs[ADDR_IFS_MAX], rank[VERBS_ADDRS_MAX];
	unsigned nifs = 0, i, j, n = 0, ix;
	int ndev = 0;

	if ((list = v->get_device_list(&ndev)) == NULL)
		return -1;
	if (unit >= (unsigned)(ndev > 0 ? ndev : 0)) {
		v->free_device_list(list);
		return -1;
	}
	snprintf(name, namelen, "%s", v->get_device_name(list[unit]));
	if ((ctx = v->open_device(list[unit])) != NULL) {
		nifs = dev_ifs(v, ctx, name, ifs);
		(void)v->close_device(ctx);
	}
	v->free_device_list(list);
	if (max > VERBS_ADDRS_MAX)
		max = VERBS_ADDRS_MAX;
	if (nifs == 0 || max == 0 || getifaddrs(&ifa) != 0)
		return 0;
	/*
	 * One pass, one interface lookup per address; kept in the order of
	 * the device's interfaces (insertion, stable within one interface).
	 */
	for (a = ifa; a != NULL; a = a->ifa_next) {
		if (!usable(a->ifa_addr, family))
			continue;
		ix = if_nametoindex(a->ifa_name);
		for (i = 0; i < nifs && ifs[i] != ix; i++)
			;
		if (i == nifs)
			continue;
		for (j = n; j > 0 && rank[j - 1] > i; j--)
			;
		if (n == max) {
			if (j == n)
				continue;
			n--;
		}
		memmove(&out[j + 1], &out[j], (n - j) * sizeof(out[0]));
		memmove(&rank[j + 1], &rank[j], (n - j) * sizeof(rank[0]));
		memset(&out[j], 0, sizeof(out[j]));
		memcpy(&out[j].sa, a->ifa_addr, a->ifa_addr->sa_family ==
		    AF_INET ? sizeof(struct sockaddr_in) :
		    sizeof(struct sockaddr_in6));
		out[j].prefix = mask_bits(a->ifa_netmask);
		rank[j] = i;
		n++;
	}
	freeifaddrs(ifa);
	return (int)n;
}

int
verbs_addr_same_net(const struct verbs_ifaddr *a, const struct sockaddr *sa)
{
	const uint8_t *x, *y;
	unsigned bits = a->prefix, i;

	if (sa->sa_family != a->sa.ss_family)
		return 0;
	if (sa->sa_family == AF_INET6) {
		x = (const uint8_t *)&((const struct sockaddr_in6 *)
		    (const void *)&a->sa)->sin6_addr;
		y = (const uint8_t *)&((const struct sockaddr_in6 *)
		    (const void *)sa)->sin6_addr;
		if (bits > 128)
			bits = 128;
	} else {
		x = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)&a->sa)->sin_addr;
		y = (const uint8_t *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr;
		if (bits > 32)
			bits = 32;
	}
	for (i = 0; bits >= 8; i++, bits -= 8)
		if (x[i] != y[i])
			return 0;
	return bits == 0 || ((x[i] ^ y[i]) & (uint8_t)(0xff00u >> bits)) == 0;
}
