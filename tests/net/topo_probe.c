/*
 * topo_probe.c - print rsm_get_interconnect_topology() as the network
 * tests read it: "local NODE", then one "remote NODE CTLR STATE" line per
 * remote controller.  The daemon is found through $RSM_DAEMON_SOCKET.
 * Exits with the RSMAPI error number when the call fails.
 */
#include <stdio.h>

#include "rsmapi.h"

int
main(void)
{
	rsm_topology_t *t;
	unsigned i;
	int rc, j;

	if ((rc = rsm_get_interconnect_topology(&t)) != RSM_SUCCESS) {
		fprintf(stderr, "rsm_get_interconnect_topology: %d\n", rc);
		return rc;
	}
	printf("local %u\n", (unsigned)t->topology_hdr.local_nodeid);
	for (i = 0; i < t->topology_hdr.local_cntlr_count; i++) {
		rsm_connections_t *c = t->connections[i];

		for (j = 0; j < c->hdr.remote_cntlr_count; j++)
			printf("remote %u %s %s\n",
			    (unsigned)c->remote_cntlr[j].remote_nodeid,
			    c->remote_cntlr[j].remote_cntlrname,
			    c->remote_cntlr[j].connection_state ==
			    RSM_CONNECTION_ACTIVE ? "active" : "inactive");
	}
	rsm_free_interconnect_topology(t);
	return 0;
}
