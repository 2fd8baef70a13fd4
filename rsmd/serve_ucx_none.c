/*
 * serve_ucx_none.c - the ucx0 data service of a daemon built without the
 * UCX headers (./configure --without-ucx): there is no controller ucx0
 * on this node, and asking for it says so.
 */
#include "rsmapi.h"
#include "rsmd.h"
#include "service.h"
#include "log.h"

static int
none_open(struct rsmd *rs)
{
	(void)rs;
	return 0;
}

static int
none_start(struct rsmd *rs)
{
	(void)rs;
	return 0;
}

static void
none_stop(struct rsmd *rs)
{
	(void)rs;
}

static unsigned
none_units(const struct rsmd *rs)
{
	(void)rs;
	return 0;
}

static int
none_serving(const struct rsmd *rs)
{
	(void)rs;
	return 0;
}

static int
none_ctlr(struct rsmd *rs, uint32_t unit, struct rsm_msg_ctlr_reply *r)
{
	(void)rs;
	(void)r;
	log_info("controller ucx%u requested: not present (rsmd was built "
	    "without UCX support)", unit);
	return RSMERR_CTLR_NOT_PRESENT;
}

static int
none_issue(struct rsmd *rs, struct rsmd_cap *cap, struct rsm_wire_cap *w)
{
	(void)rs;
	(void)cap;
	(void)w;
	return RSMERR_CTLR_NOT_PRESENT;
}

static void
none_revoke(struct rsmd *rs, struct rsmd_cap *cap, uint32_t reason)
{
	(void)rs;
	(void)cap;
	(void)reason;
}

const struct rsmd_service rsmd_serve_ucx = {
	.name = "ucx0",
	.xport = RSM_XPORT_UCX,
	.open = none_open,
	.start = none_start,
	.stop = none_stop,
	.units = none_units,
	.serving = none_serving,
	.ctlr = none_ctlr,
	.issue = none_issue,
	.revoke = none_revoke,
	.segment_released = service_segment_nothing_held,
	.segment_rebound = service_segment_followed,
};
