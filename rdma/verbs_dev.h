/*
 * verbs_dev.h - the node's RDMA devices as controllers verbsN: device N
 * of ibv_get_device_list.  Both the importing library (which device a
 * verbsN import leaves from) and the daemon (which controllers exist, what
 * they can do) ask the same questions, so they share this code.
 */
#ifndef RSM_VERBS_DEV_H
#define RSM_VERBS_DEV_H

#include <stdint.h>

/* One RDMA device as a controller verbsN describes it. */
struct verbs_devinfo {
	char	 name[64];
	uint64_t max_mr_size;
	uint64_t max_msg_sz;
	uint32_t max_qp_wr;
	uint32_t max_sge;
	uint32_t port_state;	/* enum ibv_port_state of port 1 */
	uint32_t active_mtu;
	uint64_t node_guid;
};
/*
 * Describe device `unit` (ibv_get_device_list order).  0, or -1 with *why
 * when there is no RDMA library or no such device.
 */
int	 verbs_dev_query(unsigned unit, struct verbs_devinfo *out,
	    const char **why);
/* Number of RDMA devices (0 without libraries). */
unsigned verbs_dev_count(void);

#endif /* RSM_VERBS_DEV_H */
