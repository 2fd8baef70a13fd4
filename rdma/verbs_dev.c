/*
 * verbs_dev.c - the node's RDMA devices as controllers verbsN: device N
 * of ibv_get_device_list, described by ibv_query_device and the first
 * port's ibv_query_port.
 */
#include "verbs_dl.h"
#include "verbs_dev.h"

#include <stdio.h>
#include <string.h>

unsigned
verbs_dev_count(void)
{
	const struct verbs_dl *v = verbs_dl_open(NULL);
	struct ibv_device **list;
	int n = 0;

	if (v == NULL || (list = v->get_device_list(&n)) == NULL)
		return 0;
	v->free_device_list(list);
	return n > 0 ? (unsigned)n : 0;
}

int
verbs_dev_query(unsigned unit, struct verbs_devinfo *out, const char **why)
{
	const struct verbs_dl *v = verbs_dl_open(why);
	struct ibv_device **list;
	struct ibv_context *ctx;
	struct ibv_device_attr da;
	struct ibv_port_attr pa;
	int n = 0, rc = -1;

	if (v == NULL)
		return -1;
	if ((list = v->get_device_list(&n)) == NULL || n <= 0) {
		if (list != NULL)
			v->free_device_list(list);
		if (why != NULL)
			*why = "no RDMA device";
		return -1;
	}
	if (unit >= (unsigned)n) {
		if (why != NULL)
			*why = "no such RDMA device";
		goto out;
	}
	if ((ctx = v->open_device(list[unit])) == NULL) {
		if (why != NULL)
			*why = "cannot open the RDMA device";
		goto out;
	}
	memset(&da, 0, sizeof(da));
	memset(&pa, 0, sizeof(pa));
	if (v->query_device(ctx, &da) == 0 && v->query_port(ctx, 1, &pa) == 0) {
		memset(out, 0, sizeof(*out));
		snprintf(out->name, sizeof(out->name), "%s",
		    v->get_device_name(list[unit]));
		out->max_mr_size = da.max_mr_size;
		out->max_msg_sz = pa.max_msg_sz;
		out->max_qp_wr = da.max_qp_wr > 0 ? (uint32_t)da.max_qp_wr : 0;
		out->max_sge = da.max_sge > 0 ? (uint32_t)da.max_sge : 0;
		out->port_state = pa.state;
		out->active_mtu = pa.active_mtu;
		out->node_guid = da.node_guid;
		rc = 0;
	} else if (why != NULL) {
		*why = "cannot query the RDMA device";
	}
	(void)v->close_device(ctx);
out:
	v->free_device_list(list);
	return rc;
}
