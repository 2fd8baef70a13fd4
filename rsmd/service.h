/*
 * service.h - the one interface between the daemon and its data services.
 *
 * A data service serves imports of this node's segments over one
 * transport: tcp0's data server (serve_tcp.c), the verbs listener
 * (serve_verbs.c).  The control, notification and remote code never
 * name a transport: they find the service of an import's controller type
 * (proto/rsm_ctlr.h rows with RSM_CTLRF_SERVED) with service_for() and
 * call it through this table.  Capabilities are one table for every
 * service (capability.h); a service only fills in where its data path is
 * and closes its connections when one dies.
 *
 * Every slot is filled (services.c checks none is NULL at start).
 */
#ifndef RSMD_SERVICE_H
#define RSMD_SERVICE_H

#include <stdint.h>

#include "rsmd.h"

struct rsmd_cap;

struct rsmd_service {
	const char	*name;		/* for logs: its controllers' name */
	uint32_t	 xport;		/* its controller type, RSM_XPORT_* */
	/*
	 * Open what must be open before the daemon detaches (so a refusal
	 * reaches the caller's exit code): 0, or -1 when the daemon cannot
	 * run as configured.
	 */
	int	(*open)(struct rsmd *);
	/* The loop exists and the daemon has detached: start serving. */
	int	(*start)(struct rsmd *);
	void	(*stop)(struct rsmd *);
	/* How many controllers of its type this node has (units 0..n-1). */
	unsigned (*units)(const struct rsmd *);
	/* Whether it serves imports of this node's segments now. */
	int	(*serving)(const struct rsmd *);
	/*
	 * CTLR_QUERY of unit `unit`: adjust the generic attributes in *r;
	 * RSMERR_CTLR_NOT_PRESENT when the node has no such controller.
	 */
	int	(*ctlr)(struct rsmd *, uint32_t unit,
		    struct rsm_msg_ctlr_reply *r);
	/*
	 * A capability for cap->im is being made (its token is set): make
	 * whatever the data path needs and say in *w where it is (address,
	 * port, family, rkey).  RSM_SUCCESS, or an RSMERR_* and the
	 * capability is dropped.
	 */
	int	(*issue)(struct rsmd *, struct rsmd_cap *cap,
		    struct rsm_wire_cap *w);
	/*
	 * The capability dies (its token is forgotten already): close every
	 * data connection attached to it before returning.
	 */
	void	(*revoke)(struct rsmd *, struct rsmd_cap *cap, uint32_t reason);
	/* Every import of s is gone: drop what the service holds of it. */
	void	(*segment_released)(struct rsmd *, struct reg_segment *s);
	/*
	 * s now has new memory: 0 when this service's importers follow it,
	 * -1 when they cannot (the caller revokes them and releases s).
	 */
	int	(*segment_rebound)(struct rsmd *, struct reg_segment *s);
};

/* services.c */
/* The service of controller type xport, or NULL (none, or not built). */
const struct rsmd_service *service_for(uint32_t xport);
/* Each built service's open / start / stop, in table order. */
int	 services_open(struct rsmd *);
int	 services_start(struct rsmd *);
void	 services_stop(struct rsmd *);
void	 services_segment_released(struct rsmd *, struct reg_segment *);
/* Rebind: each service follows s or has its importers of s revoked. */
void	 services_segment_rebound(struct rsmd *, struct reg_segment *);

/*
 * Slots for services that hold nothing per segment (every access goes
 * through the daemon's current mapping), so whose importers follow a
 * rebind by themselves.
 */
void	 service_segment_nothing_held(struct rsmd *, struct reg_segment *);
int	 service_segment_followed(struct rsmd *, struct reg_segment *);

extern const struct rsmd_service rsmd_serve_tcp;
/* Built without the RDMA headers: serve_verbs_none.c, no controllers. */
extern const struct rsmd_service rsmd_serve_verbs;
/* Built without the UCX headers: serve_ucx_none.c, no controller ucx0. */
extern const struct rsmd_service rsmd_serve_ucx;

#endif /* RSMD_SERVICE_H */
