/*
 * controller.c - rsm_get_controller, _attr and rsm_release_controller.
 *
 * A controller handle is per process and reference counted per name: a
 * second get of the same controller returns the same handle.  The daemon
 * is asked every time, so a get fails with RSMERR_CTLR_NOT_PRESENT while
 * no daemon answers, as the spec's "KA does not know the adapter".
 */
#include "rsm_int.h"

#include <string.h>
#include <unistd.h>

struct find_arg {
	const char *name;
	struct rsm_ctlr *found;
};

static void
find_by_name(void *slot, void *arg)
{
	struct rsm_ctlr *c = slot;
	struct find_arg *fa = arg;

	if (fa->found == NULL && strcmp(c->name, fa->name) == 0)
		fa->found = c;
}

struct rsm_ctlr *
rsm_ctlr_get(rsmapi_controller_handle_t h)
{
	struct rsm_ctlr *c = rsm_slot_check(h, RSM_MAGIC_CTLR);

	return c;
}

int
rsm_ctlr_is_loopback(const struct rsm_ctlr *c)
{
	return (c->type->flags & RSM_CTLRF_THIS_NODE) != 0;
}

/*
 * What a NULL name means: the spec's loopback controller, i.e. the bare
 * name of the type that reaches this node only.  NULL if the table has no
 * such type.
 */
static const char *
default_ctlr_name(void)
{
	const uint32_t want = RSM_CTLRF_THIS_NODE | RSM_CTLRF_BARE;
	size_t i;

	for (i = 0; i < rsm_ctlr_ntypes; i++)
		if ((rsm_ctlr_types[i].flags & want) == want)
			return rsm_ctlr_types[i].prefix;
	return NULL;
}

int
rsm_get_controller(char *name, rsmapi_controller_handle_t *controller)
{
	struct rsm_msg_ctlr q;
	struct rsm_msg_ctlr_reply rep;
	struct rsm_call call;
	const struct rsm_transport_ops *ops;
	const struct rsm_ctlr_type *type;
	struct find_arg fa;
	struct rsm_ctlr *c;
	const char *want = name;
	int rc;

	if (controller == NULL)
		return RSMERR_BAD_CTLR_HNDL;
	*controller = NULL;
	if (want == NULL && (want = default_ctlr_name()) == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	if (strnlen(want, RSM_CTLR_NAME_MAX) >= RSM_CTLR_NAME_MAX || *want == '\0')
		return RSMERR_CTLR_NOT_PRESENT;
	memset(&q, 0, sizeof(q));
	strcpy(q.name, want);
	memset(&call, 0, sizeof(call));
	call.type = RSM_MSG_CTLR_QUERY;
	call.req = &q;
	call.req_len = sizeof(q);
	call.req_fd = -1;
	call.reply = &rep;
	call.reply_cap = sizeof(rep);
	rc = rsm_link_call(&call);
	if (call.reply_fd >= 0)
		(void)close(call.reply_fd);
	if (rc == RSMERR_BAD_LIBRARY_VERSION || rc == RSMERR_INSUFFICIENT_MEM)
		return rc;
	if (rc != RSM_SUCCESS)
		return RSMERR_CTLR_NOT_PRESENT;
	/*
	 * rsm_msg_check() guaranteed the NUL inside rep.name.  Trust nothing
	 * else: the name must be a controller name and the daemon's xport the
	 * one the table gives it, or the handle would send one type's requests
	 * and expect another's replies.
	 */
	if ((type = rsm_ctlr_parse(rep.name, NULL)) == NULL ||
	    type->xport != rep.xport ||
	    (ops = rsm_transport_lookup(type)) == NULL)
		return RSMERR_CTLR_NOT_PRESENT;

	rsm_handles_lock();
	fa.name = rep.name;
	fa.found = NULL;
	rsm_slot_foreach(RSM_MAGIC_CTLR, find_by_name, &fa);
	if ((c = fa.found) != NULL) {
		c->refs++;
		c->attr = rep;
		rsm_handles_unlock();
		*controller = (rsmapi_controller_handle_t)c;
		return RSM_SUCCESS;
	}
	rsm_handles_unlock();
	if ((c = rsm_slot_alloc(RSM_MAGIC_CTLR)) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	rsm_handles_lock();
	/* Another thread may have added it meanwhile: keep one handle. */
	fa.found = NULL;
	c->name[0] = '\0';
	rsm_slot_foreach(RSM_MAGIC_CTLR, find_by_name, &fa);
	if (fa.found != NULL) {
		rsm_slot_free(c);
		c = fa.found;
		c->refs++;
	} else {
		memcpy(c->name, rep.name, sizeof(c->name));
		c->refs = 1;
		c->type = type;
		c->ops = ops;
		c->attr = rep;
		c->hdr.epoch = call.epoch;
	}
	rsm_handles_unlock();
	*controller = (rsmapi_controller_handle_t)c;
	return RSM_SUCCESS;
}

int
rsm_get_controller_attr(rsmapi_controller_handle_t chdl,
    rsmapi_controller_attr_t *attr)
{
	struct rsm_ctlr *c = rsm_ctlr_get(chdl);

	if (c == NULL)
		return RSMERR_BAD_CTLR_HNDL;
	if (attr == NULL)
		return RSMERR_BAD_ADDR;
	rsm_handles_lock();
	attr->attr_direct_access_sizes = c->attr.direct_access_sizes;
	attr->attr_atomic_sizes = c->attr.atomic_sizes;
	attr->attr_page_size = (size_t)c->attr.page_size;
	attr->attr_max_export_segment_size =
	    (size_t)c->attr.max_export_segment_size;
	attr->attr_tot_export_segment_size =
	    (size_t)c->attr.tot_export_segment_size;
	attr->attr_max_export_segments = (ulong_t)c->attr.max_export_segments;
	attr->attr_max_import_map_size = (size_t)c->attr.max_import_map_size;
	attr->attr_tot_import_map_size = (size_t)c->attr.tot_import_map_size;
	attr->attr_max_import_segments = (ulong_t)c->attr.max_import_segments;
	rsm_handles_unlock();
	return RSM_SUCCESS;
}

int
rsm_release_controller(rsmapi_controller_handle_t controller)
{
	struct rsm_ctlr *c;
	int rc = RSM_SUCCESS;

	rsm_handles_lock();
	/* Checked under the lock so two releases cannot both free it. */
	if ((c = rsm_ctlr_get(controller)) == NULL || c->refs == 0)
		rc = RSMERR_BAD_CTLR_HNDL;
	else if (--c->refs == 0)
		rsm_slot_free(c);
	rsm_handles_unlock();
	return rc;
}
