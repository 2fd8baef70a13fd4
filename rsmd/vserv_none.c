/*
 * vserv_none.c - the verbs data path of a daemon built without the RDMA
 * headers: there are no controllers verbsN on this node, and asking for
 * one says so.
 */
#include "rsmapi.h"
#include "rsmd.h"
#include "vserv.h"
#include "log.h"

int
vserv_start(struct rsmd *rs)
{
	if (rs->conf.verbs_listen != NULL) {
		log_warnx("verbs_listen %s: rsmd was built without RDMA "
		    "support", rs->conf.verbs_listen->text);
		return -1;
	}
	return 0;
}

void
vserv_stop(struct rsmd *rs)
{
	(void)rs;
}

unsigned
vserv_nctlr(void)
{
	return 0;
}

int
vserv_ctlr(const char *name, struct rsm_msg_ctlr_reply *r)
{
	(void)r;
	log_info("controller %s requested: not present (rsmd was built "
	    "without RDMA support)", name);
	return RSMERR_CTLR_NOT_PRESENT;
}

int
vserv_serving(void)
{
	return 0;
}

int
vcap_issue(struct rsmd *rs, struct reg_import *im, struct rsm_wire_cap *w)
{
	(void)rs; (void)im; (void)w;
	return RSMERR_CTLR_NOT_PRESENT;
}

void
vcap_revoke(struct rsmd *rs, struct reg_import *im)
{
	(void)rs; (void)im;
}

int
vcap_held(const struct reg_import *im)
{
	(void)im;
	return 0;
}

void
vserv_seg_release(struct rsmd *rs, struct reg_segment *s)
{
	(void)rs; (void)s;
}

int
vserv_seg_rebound(struct rsmd *rs, struct reg_segment *s)
{
	(void)rs; (void)s;
	return 0;
}
