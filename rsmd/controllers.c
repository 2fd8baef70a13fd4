/*
 * controllers.c - this node's controllers as the daemon describes them:
 * the table of proto/rsm_ctlr.h, with the units each data service says
 * exist.  The only place in rsmd that reads a controller name.
 */
#include <stdio.h>
#include <string.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "rsm_ctlr.h"
#include "service.h"

/* The attributes every controller of this node starts from. */
static void
fill_ctlr(const struct rsmd *rs, const char *name,
    const struct rsm_ctlr_type *t, uint32_t unit,
    struct rsm_msg_ctlr_reply *r)
{
	const struct rsmd_config *cf = &rs->conf;
	uint64_t tot;

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->xport = t->xport;
	r->unit = unit;
	r->hwaddr = cf->node_id;
	r->direct_access_sizes = RSM_DAS8 | RSM_DAS16 | RSM_DAS32 | RSM_DAS64;
	r->atomic_sizes = 0;
	r->page_size = rs->reg.lim.page_size;
	if (cf->max_segments && cf->max_segment_size >
	    UINT64_MAX / cf->max_segments)
		tot = UINT64_MAX;
	else
		tot = cf->max_segment_size * cf->max_segments;
	r->max_export_segment_size = cf->max_segment_size;
	r->tot_export_segment_size = tot;
	r->max_export_segments = cf->max_segments;
	r->max_import_map_size = cf->max_segment_size;
	r->tot_import_map_size = tot;
	r->max_import_segments = cf->max_segments;
	/* A data path of put and get only: nothing can be mapped. */
	if (!(t->flags & RSM_CTLRF_MAP)) {
		r->max_import_map_size = 0;
		r->tot_import_map_size = 0;
	}
}

/*
 * The attributes of controller `name` of this node: RSM_SUCCESS, or
 * RSMERR_CTLR_NOT_PRESENT.  Served types exist as their service says.
 */
int
ctlr_describe(struct rsmd *rs, const char *name, struct rsm_msg_ctlr_reply *r)
{
	const struct rsm_ctlr_type *t;
	const struct rsmd_service *svc = NULL;
	uint32_t unit;

	if ((t = rsm_ctlr_parse(name, &unit)) == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	if ((t->flags & RSM_CTLRF_SERVED) &&
	    (svc = service_for(t->xport)) == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	fill_ctlr(rs, name, t, unit, r);
	return svc != NULL ? svc->ctlr(rs, unit, r) : RSM_SUCCESS;
}


void
ctlr_iter_init(struct ctlr_iter *it)
{
	memset(it, 0, sizeof(*it));
}

int
ctlr_next(const struct rsmd *rs, struct ctlr_iter *it)
{
	const struct rsm_ctlr_type *t;
	const struct rsmd_service *svc;
	unsigned n;

	for (; it->row < rsm_ctlr_ntypes; it->row++, it->next_unit = 0) {
		t = &rsm_ctlr_types[it->row];
		if (t->flags & RSM_CTLRF_SERVED)
			n = (svc = service_for(t->xport)) != NULL ?
			    svc->units(rs) : 0;
		else
			n = 1;
		if (it->next_unit >= n)
			continue;
		it->type = t;
		it->unit = it->next_unit++;
		if ((t->flags & RSM_CTLRF_BARE) && it->unit == 0)
			snprintf(it->name, sizeof(it->name), "%s", t->prefix);
		else
			snprintf(it->name, sizeof(it->name), "%s%u", t->prefix,
			    it->unit);
		return 1;
	}
	return 0;
}

/* The service a controller type's imports go through, NULL for none. */
const struct rsmd_service *
served_by(const struct rsm_ctlr_type *t)
{
	return (t->flags & RSM_CTLRF_SERVED) ? service_for(t->xport) : NULL;
}

/* Whether this node has a controller of type t (any unit). */
int
ctlr_present(const struct rsmd *rs, const struct rsm_ctlr_type *t)
{
	const struct rsmd_service *svc = served_by(t);

	if (t->flags & RSM_CTLRF_SERVED)
		return svc != NULL && svc->units(rs) > 0;
	return 1;
}

void
ctlr_peer_route(char *name, size_t len)
{
	size_t i;

	for (i = 0; i < rsm_ctlr_ntypes; i++) {
		if (rsm_ctlr_types[i].flags & RSM_CTLRF_PEER_ROUTE) {
			snprintf(name, len, "%s0", rsm_ctlr_types[i].prefix);
			return;
		}
	}
	snprintf(name, len, "?");
}
