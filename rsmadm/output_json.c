/*
 * output_json.c - rsmadm -j: one JSON object per command, lists as arrays,
 * built with json-c so quoting is never hand-rolled.  As with ip -j, the
 * object is one compact line for programs, and indented for people only
 * when -p asks; monitor's events are one compact line each whatever -p
 * says, so that a reader can take them line by line.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "rsm_err.h"
#include "rsmadm.h"

/* Print root with json-c's `flags` and free it. */
static int
emit_as(json_object *root, int flags)
{
	const char *s;
	int rc;

	s = json_object_to_json_string_ext(root, flags |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = (s == NULL || puts(s) == EOF) ? -1 : 0;
	json_object_put(root);
	return rc;
}

/* -p: indent a command's object (rsmadm.c sets it before any output). */
static int pretty;

void
adm_json_pretty(int on)
{
	pretty = on;
}

static int
emit(json_object *root)
{
	return emit_as(root, pretty ? JSON_C_TO_STRING_PRETTY :
	    JSON_C_TO_STRING_PLAIN);
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

/* {"RSMERR_PERM_DENIED": 2, ...}, and "errors_other". */
static void
add_errors(json_object *o, const struct rsm_msg_stats *e)
{
	json_object *errs = json_object_new_object();
	unsigned i;

	for (i = 0; i < RSM_STATS_ERRS; i++)
		if (e->err[i].code != 0)
			add_u64(errs, rsm_err_name((int)e->err[i].code),
			    e->err[i].count);
	json_object_object_add(o, "errors", errs);
	add_u64(o, "errors_other", e->errors_other);
}

static void
add_segid(json_object *o, uint32_t segid)
{
	char buf[16];

	if (segid == 0) {
		json_object_object_add(o, "segid", NULL);
		json_object_object_add(o, "segid_hex", NULL);
		return;
	}
	add_u64(o, "segid", segid);
	snprintf(buf, sizeof(buf), "%#x", segid);
	add_str(o, "segid_hex", buf);
}

/* A segment's or import's counters: ops and bytes by kind, the rest. */
static json_object *
data_object(const struct rsm_msg_stats *e, uint32_t self)
{
	json_object *o = json_object_new_object();
	json_object *ops = json_object_new_object();
	json_object *bytes = json_object_new_object();
	char buf[24];
	unsigned op;

	add_segid(o, e->segid);
	snprintf(buf, sizeof(buf), "%#llx", (unsigned long long)e->handle);
	add_str(o, "handle", buf);
	add_u64(o, "node", e->kind == RSM_STATS_SEGMENT ? self : e->node);
	add_u64(o, "pid", e->pid);
	add_u64(o, "uid", e->uid);
	if (e->xport)
		add_str(o, "xport", adm_xport_name(e->xport));
	else
		json_object_object_add(o, "xport", NULL);
	for (op = 0; op < RSM_STATS_NOPS; op++) {
		add_u64(ops, adm_stats_op_name(op), e->ops[op]);
		add_u64(bytes, adm_stats_op_name(op), e->bytes[op]);
	}
	json_object_object_add(o, "ops", ops);
	json_object_object_add(o, "bytes", bytes);
	if (e->kind == RSM_STATS_SEGMENT) {
		add_u64(o, "connects", e->connects);
		add_u64(o, "disconnects", e->disconnects);
	}
	add_u64(o, "revocations", e->revocations);
	add_errors(o, e);
	return o;
}

static json_object *
peer_object(const struct rsm_msg_stats *e)
{
	json_object *o = json_object_new_object();
	json_object *rtt = json_object_new_object();

	add_u64(o, "node", e->node);
	add_str(o, "state", adm_node_state_name(e->state));
	add_u64(o, "frames_tx", e->frames_tx);
	add_u64(o, "frames_rx", e->frames_rx);
	add_u64(o, "bytes_tx", e->bytes_tx);
	add_u64(o, "bytes_rx", e->bytes_rx);
	add_u64(o, "retransmits", e->retransmits);
	add_u64(rtt, "samples", e->rtt_samples);
	if (e->rtt_samples) {
		add_u64(rtt, "p50", e->rtt_p50_us);
		add_u64(rtt, "p90", e->rtt_p90_us);
		add_u64(rtt, "p99", e->rtt_p99_us);
		add_u64(rtt, "max", e->rtt_max_us);
	}
	json_object_object_add(o, "rtt_us", rtt);
	return o;
}

static int
json_stats(const struct adm_stats *l)
{
	json_object *root = json_object_new_object();
	json_object *segs = json_object_new_array();
	json_object *imps = json_object_new_array();
	json_object *peers = json_object_new_array();
	json_object *node = NULL;
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_stats *e = &l->e[i];

		switch (e->kind) {
		case RSM_STATS_NODE:
			json_object_put(node);
			node = json_object_new_object();
			add_u64(node, "connects", e->connects);
			add_u64(node, "disconnects", e->disconnects);
			add_u64(node, "revocations", e->revocations);
			add_u64(node, "malformed", e->malformed);
			add_errors(node, e);
			break;
		case RSM_STATS_SEGMENT:
			json_object_array_add(segs, data_object(e, l->self));
			break;
		case RSM_STATS_IMPORT:
			json_object_array_add(imps, data_object(e, l->self));
			break;
		case RSM_STATS_PEER:
			json_object_array_add(peers, peer_object(e));
			break;
		}
	}
	add_u64(root, "node_id", l->self);
	json_object_object_add(root, "node", node);
	json_object_object_add(root, "segments", segs);
	json_object_object_add(root, "imports", imps);
	json_object_object_add(root, "peers", peers);
	return emit(root);
}

/* Monitor lines: one compact object each, never pretty (one per line). */
static int
emit_line(json_object *o)
{
	return emit_as(o, JSON_C_TO_STRING_PLAIN);
}

static int
json_event(const struct rsm_msg_mon_event *ev)
{
	json_object *o = json_object_new_object();
	char t[40];

	adm_iso_time(ev->time_ns, t, sizeof(t));
	add_str(o, "time", t);
	add_u64(o, "time_ns", ev->time_ns);
	add_str(o, "event", adm_event_name(ev->kind));
	add_u64(o, "node", ev->node);
	add_segid(o, ev->segid);
	if (ev->pid)
		add_u64(o, "pid", ev->pid);
	else
		json_object_object_add(o, "pid", NULL);
	if (ev->uid != UINT32_MAX)
		add_u64(o, "uid", ev->uid);
	else
		json_object_object_add(o, "uid", NULL);
	if (ev->kind == RSM_MON_REVOKE || ev->kind == RSM_MON_REFUSAL)
		add_str(o, "code", rsm_err_name((int)ev->code));
	if (ev->kind == RSM_MON_REFUSAL)
		add_str(o, "request", ev->what ?
		    rsm_msg_name((uint16_t)ev->what) : "data");
	if (ev->xport)
		add_str(o, "xport", adm_xport_name(ev->xport));
	return emit_line(o);
}

static int
json_dropped(uint64_t n)
{
	json_object *o = json_object_new_object();

	add_str(o, "event", "dropped");
	add_u64(o, "count", n);
	return emit_line(o);
}

const struct adm_output adm_output_json = {
	.status = json_status,
	.segments = json_segments,
	.controllers = json_controllers,
	.nodes = json_nodes,
	.ping = json_ping,
	.stats = json_stats,
	.event = json_event,
	.dropped = json_dropped,
};
