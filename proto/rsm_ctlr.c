/*
 * rsm_ctlr.c - the controller table: one row per controller type.
 */
#include "rsm_ctlr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rsm_proto.h"
#include "rsm_remote.h"

const struct rsm_ctlr_type rsm_ctlr_types[] = {
	{ "loopback", RSM_XPORT_LOOPBACK,
	    RSM_CTLRF_THIS_NODE | RSM_CTLRF_FD | RSM_CTLRF_MAP |
	    RSM_CTLRF_UNITS | RSM_CTLRF_BARE,
	    0, 0, "shared memory, this node only (spec 4.4)" },
	{ "shm", RSM_XPORT_SHM,
	    RSM_CTLRF_FD | RSM_CTLRF_MAP,
	    0, 0, "shared memory of this node" },
	{ "tcp", RSM_XPORT_TCP,
	    RSM_CTLRF_SERVED | RSM_CTLRF_PEER_ROUTE | RSM_CTLRF_PROBE_TCP,
	    RSM_CAPK_TCP, RSM_RMT_CONNECT, "TCP to the exporting daemon" },
	{ "verbs", RSM_XPORT_VERBS,
	    RSM_CTLRF_EAGER | RSM_CTLRF_UNITS | RSM_CTLRF_SERVED,
	    RSM_CAPK_VERBS, RSM_RMT_CONNECT_VERBS,
	    "RDMA (verbs) to the exporting daemon's memory" },
	{ "ucx", RSM_XPORT_UCX,
	    RSM_CTLRF_EAGER | RSM_CTLRF_SERVED,
	    RSM_CAPK_UCX, RSM_RMT_CONNECT_UCX,
	    "UCX (libucp) to the exporting daemon's memory" },
};

const size_t rsm_ctlr_ntypes = sizeof(rsm_ctlr_types) /
    sizeof(rsm_ctlr_types[0]);

const struct rsm_ctlr_type *
rsm_ctlr_parse(const char *name, uint32_t *unit)
{
	const struct rsm_ctlr_type *t;
	const char *s;
	unsigned long v;
	char *end;
	size_t i, n;

	if (name == NULL)
		return NULL;
	for (i = 0; i < rsm_ctlr_ntypes; i++) {
		t = &rsm_ctlr_types[i];
		n = strlen(t->prefix);
		if (strncmp(name, t->prefix, n) != 0)
			continue;
		s = name + n;
		if (*s == '\0') {
			if (!(t->flags & RSM_CTLRF_BARE))
				return NULL;
			v = 0;
		} else {
			/*
			 * Digits only: no sign, no space.  One name per
			 * unit, so no leading zero, except that loopback has
			 * always taken any digits (rsm_get_controller(3rsm)).
			 */
			if (*s < '0' || *s > '9' || (s[0] == '0' &&
			    s[1] != '\0' && !(t->flags & RSM_CTLRF_BARE)))
				return NULL;
			errno = 0;
			v = strtoul(s, &end, 10);
			if (errno != 0 || *end != '\0' || v > UINT32_MAX)
				return NULL;
			if (v != 0 && !(t->flags & RSM_CTLRF_UNITS))
				return NULL;
		}
		if (unit != NULL)
			*unit = (uint32_t)v;
		return t;
	}
	return NULL;
}

const struct rsm_ctlr_type *
rsm_ctlr_by_xport(uint32_t xport)
{
	size_t i;

	for (i = 0; i < rsm_ctlr_ntypes; i++)
		if (rsm_ctlr_types[i].xport == xport)
			return &rsm_ctlr_types[i];
	return NULL;
}

const struct rsm_ctlr_type *
rsm_ctlr_by_rmt_connect(uint32_t type)
{
	size_t i;

	for (i = 0; i < rsm_ctlr_ntypes; i++)
		if (type != 0 && rsm_ctlr_types[i].rmt_connect == type)
			return &rsm_ctlr_types[i];
	return NULL;
}

const char *
rsm_ctlr_xport_name(uint32_t xport)
{
	const struct rsm_ctlr_type *t = rsm_ctlr_by_xport(xport);

	return t != NULL ? t->prefix : "?";
}
