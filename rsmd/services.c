/*
 * services.c - the table of the daemon's data services, one row per
 * served controller type (service.h).
 */
#include <stddef.h>

#include "rsmapi.h"
#include "rsm_ctlr.h"
#include "capability.h"
#include "service.h"
#include "log.h"

static const struct rsmd_service *const services[] = {
	&rsmd_serve_tcp,
	&rsmd_serve_verbs,	/* serve_verbs_none.c without the RDMA headers */
	&rsmd_serve_ucx,	/* serve_ucx_none.c without the UCX headers */
};

#define NSERVICES	(sizeof(services) / sizeof(services[0]))

const struct rsmd_service *
service_for(uint32_t xport)
{
	size_t i;

	for (i = 0; i < NSERVICES; i++)
		if (services[i]->xport == xport)
			return services[i];
	return NULL;
}

/* A row whose state slot does not exist would write past svc_state. */
static int
service_check(const struct rsmd_service *s)
{
	const struct rsm_ctlr_type *t = rsm_ctlr_by_xport(s->xport);

	if (s->xport >= RSMD_SERVICE_SLOTS || t == NULL ||
	    !(t->flags & RSM_CTLRF_SERVED) || s->open == NULL ||
	    s->start == NULL || s->stop == NULL || s->units == NULL ||
	    s->serving == NULL || s->ctlr == NULL || s->issue == NULL ||
	    s->revoke == NULL || s->segment_released == NULL ||
	    s->segment_rebound == NULL) {
		log_warnx("data service %s: incomplete row", s->name);
		return -1;
	}
	return 0;
}

int
services_open(struct rsmd *rs)
{
	size_t i;

	for (i = 0; i < NSERVICES; i++) {
		if (service_check(services[i]) == -1 ||
		    services[i]->open(rs) == -1) {
			while (i-- > 0)
				services[i]->stop(rs);
			return -1;
		}
	}
	return 0;
}

int
services_start(struct rsmd *rs)
{
	size_t i;

	for (i = 0; i < NSERVICES; i++)
		if (services[i]->start(rs) == -1)
			return -1;
	return 0;
}

void
services_stop(struct rsmd *rs)
{
	size_t i = NSERVICES;

	while (i-- > 0)
		services[i]->stop(rs);
}

void
services_segment_released(struct rsmd *rs, struct reg_segment *s)
{
	size_t i;

	for (i = 0; i < NSERVICES; i++)
		services[i]->segment_released(rs, s);
}

void
services_segment_rebound(struct rsmd *rs, struct reg_segment *s)
{
	struct reg_import *im, *next;
	size_t i;

	for (i = 0; i < NSERVICES; i++) {
		if (services[i]->segment_rebound(rs, s) == 0)
			continue;
		/* Its importers reach the old pages only: cut them off. */
		for (im = TAILQ_FIRST(&s->imports); im != NULL; im = next) {
			next = TAILQ_NEXT(im, seg_link);
			if (cap_held(im, services[i]))
				notify_revoke_one(rs, im, RSMERR_CONN_ABORTED);
		}
		services[i]->segment_released(rs, s);
	}
}

void
service_segment_nothing_held(struct rsmd *rs, struct reg_segment *s)
{
	(void)rs;
	(void)s;
}

int
service_segment_followed(struct rsmd *rs, struct reg_segment *s)
{
	(void)rs;
	(void)s;
	return 0;
}
