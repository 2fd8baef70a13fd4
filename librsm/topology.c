/*
 * topology.c - rsm_get_interconnect_topology and its free.
 *
 * The daemon answers TOPOLOGY with a stream (proto/rsm_proto.h): the link's
 * reader hands its parts to topo_stream.c as they come, and the last reply
 * closes it; topo_stream.c checks the whole and lays out the description.
 */
#include "rsm_int.h"
#include "topo_stream.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
rsm_get_interconnect_topology(rsm_topology_t **topology_data)
{
	struct rsm_msg_topology end;
	struct rsm_topo_rx rx;
	struct rsm_call call;
	int rc;

	if (topology_data == NULL)
		return RSMERR_BAD_TOPOLOGY_PTR;
	*topology_data = NULL;
	rsm_topo_rx_init(&rx);
	memset(&call, 0, sizeof(call));
	memset(&end, 0, sizeof(end));
	call.type = RSM_MSG_TOPOLOGY;
	call.req_fd = -1;
	call.reply = &end;
	call.reply_cap = sizeof(end);
	call.more = rsm_topo_rx_more;
	call.more_arg = &rx;
	rc = rsm_link_call(&call);
	if (call.reply_fd >= 0)
		close(call.reply_fd);
	if (rc == RSM_SUCCESS)
		rc = rsm_topo_rx_end(&rx, &end, call.reply_len, topology_data);
	else
		/*
		 * No daemon, or it died before the stream's end: as the
		 * spec's "cannot open /dev/rsm".
		 */
		rc = rc == RSMERR_INSUFFICIENT_MEM ? rc :
		    RSMERR_INSUFFICIENT_RESOURCES;
	rsm_topo_rx_free(&rx);
	return rc;
}

void
rsm_free_interconnect_topology(rsm_topology_t *topology_data)
{
	free(topology_data);
}
