/*
 * verbs_src.c - where an import through controller verbsN connects from
 * and to, so that its queue pair lives on device N and not on whichever
 * device the route to the exporting daemon happens to leave through.
 *
 * rdma_cm picks the local device by the source address it binds to:
 * device N's addresses (rdma/verbs_addr.c).  The exporting daemon lists
 * one address per RDMA device it serves; a multi-rail node reaches each
 * rail through the listed address on that rail's network.
 */
#include "verbs/verbs.h"
#include "verbs_addr.h"

#include <netinet/in.h>
#include <string.h>

/* The capability's i-th address (0: addr, then more[]) as a sockaddr. */
static void
cap_addr_at(const struct rsm_wire_cap *cap, unsigned i,
    struct sockaddr_storage *ss)
{
	const uint8_t *addr = i == 0 ? cap->addr : cap->more[i - 1].addr;
	uint16_t port = i == 0 ? cap->port : cap->more[i - 1].port;
	uint8_t family = i == 0 ? cap->family : cap->more[i - 1].family;

	memset(ss, 0, sizeof(*ss));
	if (family == RSM_CAP_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)(void *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, addr, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)(void *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, addr, 16);
	}
}

unsigned
verbs_route_plan(const struct verbs_dl *v, unsigned unit,
    const struct rsm_wire_cap *cap, struct verbs_route *out, char *name,
    size_t namelen)
{
	struct verbs_ifaddr own[VERBS_ADDRS_MAX];
	struct sockaddr_storage dst;
	unsigned ncap, nown, i, j, n = 0, pass;
	int k;

	if ((k = verbs_dev_addrs(v, unit, AF_UNSPEC, own, VERBS_ADDRS_MAX,
	    name, namelen)) <= 0)
		return 0;
	nown = (unsigned)k;
	ncap = 1 + (cap->nmore < RSM_CAP_ADDRS_MAX ? cap->nmore :
	    RSM_CAP_ADDRS_MAX - 1);
	/*
	 * First the listed addresses on one of the device's networks (from
	 * that address of ours), then the others in their order (from our
	 * first address of their family): rdma_cm may still find a route.
	 */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < ncap; i++) {
			int done = 0;

			cap_addr_at(cap, i, &dst);
			for (j = 0; j < n; j++)
				if (memcmp(&out[j].dst, &dst, sizeof(dst)) == 0)
					done = 1;
			for (j = 0; j < nown && !done; j++) {
				if (own[j].sa.ss_family != dst.ss_family ||
				    (pass == 0 && !verbs_addr_same_net(&own[j],
				    (const struct sockaddr *)&dst)))
					continue;
				out[n].dst = dst;
				out[n].src = own[j].sa;
				n++;
				done = 1;
			}
		}
	return n;
}
