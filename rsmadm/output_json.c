/*
 * output_json.c - rsmadm -j: one JSON object per command, lists as arrays,
 * built with json-c so quoting is never hand-rolled.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "rsmadm.h"

static int
emit(json_object *root)
{
	const char *s;
	int rc;

	s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = (s == NULL || puts(s) == EOF) ? -1 : 0;
	json_object_put(root);
	return rc;
}

static void
add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_uint64(v));
}

static void
add_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

static int
json_status(const struct rsm_msg_hello_reply *hello,
    const struct rsm_msg_status *st)
{
	json_object *o = json_object_new_object();

	add_u64(o, "node_id", st->node_id);
	add_u64(o, "daemon_pid", st->daemon_pid);
	add_u64(o, "instance", hello->instance);
	add_u64(o, "uptime_ms", st->uptime_ms);
	add_u64(o, "clients", st->clients);
	add_u64(o, "segments", st->segments);
	add_u64(o, "published", st->published);
	add_u64(o, "imports", st->imports);
	add_u64(o, "bytes_exported", st->bytes_exported);
	add_u64(o, "requests", st->requests);
	add_u64(o, "refused", st->refused);
	add_str(o, "rmap_track", adm_rmap_track_name(st->rmap));
	json_object_object_add(o, "rmap_uffd_lent",
	    json_object_new_boolean((st->rmap & RSM_RMAP_UFFD_LENT) != 0));
	return emit(o);
}

static int
json_segments(const struct adm_segments *l)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_seginfo *s = &l->seg[i];
		json_object *o = json_object_new_object();
		json_object *pids = json_object_new_array();
		json_object *nodes = json_object_new_array();
		char buf[16];
		uint32_t j;

		if (s->published) {
			add_u64(o, "segid", s->segid);
			snprintf(buf, sizeof(buf), "%#x", s->segid);
			add_str(o, "segid_hex", buf);
		} else {
			json_object_object_add(o, "segid", NULL);
			json_object_object_add(o, "segid_hex", NULL);
		}
		json_object_object_add(o, "published",
		    json_object_new_boolean(s->published != 0));
		add_u64(o, "owner_pid", s->owner_pid);
		add_u64(o, "owner_uid", s->owner_uid);
		add_u64(o, "owner_gid", s->owner_gid);
		add_u64(o, "size", s->size);
		snprintf(buf, sizeof(buf), "%04o", s->mode & 07777);
		add_str(o, "mode", buf);
		add_u64(o, "acl_len", s->acl_len);
		add_u64(o, "importers", s->nimporters);
		for (j = 0; j < s->nimporters && j < RSM_INFO_IMPORTERS_MAX;
		    j++)
			json_object_array_add(pids,
			    json_object_new_uint64(s->importer_pid[j]));
		json_object_object_add(o, "importer_pids", pids);
		for (j = 0; j < s->nimporters && j < RSM_INFO_IMPORTERS_MAX;
		    j++)
			json_object_array_add(nodes,
			    json_object_new_uint64(s->importer_node[j]));
		json_object_object_add(o, "importer_nodes", nodes);
		json_object_array_add(arr, o);
	}
	add_u64(root, "count", l->n);
	json_object_object_add(root, "segments", arr);
	return emit(root);
}

static int
json_controllers(const struct adm_ctlrs *l)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_ctlr_reply *c = &l->ctlr[i];
		json_object *o = json_object_new_object();

		add_str(o, "name", c->name);
		add_str(o, "type", adm_xport_name(c->xport));
		add_u64(o, "unit", c->unit);
		add_u64(o, "page_size", c->page_size);
		add_u64(o, "max_export_segment_size",
		    c->max_export_segment_size);
		add_u64(o, "max_export_segments", c->max_export_segments);
		add_u64(o, "max_import_segments", c->max_import_segments);
		add_u64(o, "direct_access_sizes", c->direct_access_sizes);
		json_object_array_add(arr, o);
	}
	add_u64(root, "count", l->n);
	json_object_object_add(root, "controllers", arr);
	return emit(root);
}

static int
json_nodes(const struct adm_nodes *l)
{
	json_object *root = json_object_new_object();
	json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_nodeinfo *n = &l->node[i];
		json_object *o = json_object_new_object();

		add_u64(o, "node", n->node);
		add_str(o, "address", n->addr);
		add_str(o, "state", adm_node_state_name(n->state));
		if (n->heartbeat_age_ms == RSM_NODE_NEVER)
			json_object_object_add(o, "heartbeat_age_ms", NULL);
		else
			add_u64(o, "heartbeat_age_ms", n->heartbeat_age_ms);
		if (n->rtt_us)
			add_u64(o, "rtt_us", n->rtt_us);
		else
			json_object_object_add(o, "rtt_us", NULL);
		add_u64(o, "up_ms", n->up_ms);
		json_object_array_add(arr, o);
	}
	add_u64(root, "node_id", l->self);
	add_u64(root, "count", l->n);
	json_object_object_add(root, "nodes", arr);
	return emit(root);
}

static int
json_ping(const struct rsm_msg_ping_reply *pr)
{
	json_object *o = json_object_new_object();

	add_u64(o, "node", pr->node);
	add_u64(o, "rtt_us", pr->rtt_us);
	return emit(o);
}

const struct adm_output adm_output_json = {
	.status = json_status,
	.segments = json_segments,
	.controllers = json_controllers,
	.nodes = json_nodes,
	.ping = json_ping,
};
