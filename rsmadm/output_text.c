/*
 * output_text.c - rsmadm's human-readable output: aligned columns, one
 * line per item, a header line naming each column.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rsm_ctlr.h"
#include "rsmadm.h"

/* The table's name for a type; a value it does not know is "unknown". */
const char *
adm_xport_name(uint32_t xport)
{
	return rsm_ctlr_by_xport(xport) != NULL ?
	    rsm_ctlr_xport_name(xport) : "unknown";
}

static int
text_status(const struct rsm_msg_hello_reply *hello,
    const struct rsm_msg_status *st)
{
	uint64_t ms = st->uptime_ms;

	(void)hello;
	printf("%-16s %" PRIu32 "\n", "node id:", st->node_id);
	printf("%-16s %" PRIu64 "\n", "daemon pid:", st->daemon_pid);
	printf("%-16s %" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64
	    ".%03" PRIu64 "\n", "uptime:", ms / 86400000, ms / 3600000 % 24,
	    ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
	printf("%-16s %" PRIu64 "\n", "clients:", st->clients);
	printf("%-16s %" PRIu64 "\n", "segments:", st->segments);
	printf("%-16s %" PRIu64 "\n", "published:", st->published);
	printf("%-16s %" PRIu64 "\n", "imports:", st->imports);
	printf("%-16s %" PRIu64 "\n", "bytes exported:", st->bytes_exported);
	printf("%-16s %" PRIu64 "\n", "requests:", st->requests);
	printf("%-16s %" PRIu64 "\n", "refused:", st->refused);
	printf("%-16s %s%s\n", "remote map:", adm_rmap_track_name(st->rmap),
	    st->rmap & RSM_RMAP_UFFD_LENT ? ", userfaultfd lent" : "");
	return ferror(stdout) ? -1 : 0;
}

/*
 * "3 (101,102,4711@2)": the pid of each importer, with @node for one on
 * another node; the daemon lists at most RSM_INFO_IMPORTERS_MAX of them.
 */
static void
format_importers(const struct rsm_msg_seginfo *s, uint32_t self, char *buf,
    size_t cap)
{
	uint32_t i, shown;
	size_t off;

	off = (size_t)snprintf(buf, cap, "%" PRIu32, s->nimporters);
	shown = s->nimporters < RSM_INFO_IMPORTERS_MAX ? s->nimporters :
	    RSM_INFO_IMPORTERS_MAX;
	for (i = 0; i < shown && off < cap; i++)
		if (s->importer_node[i] == self)
			off += (size_t)snprintf(buf + off, cap - off,
			    "%s%" PRIu32, i == 0 ? " (" : ",",
			    s->importer_pid[i]);
		else
			off += (size_t)snprintf(buf + off, cap - off,
			    "%s%" PRIu32 "@%" PRIu32, i == 0 ? " (" : ",",
			    s->importer_pid[i], s->importer_node[i]);
	if (shown > 0 && off < cap)
		snprintf(buf + off, cap - off, "%s)",
		    s->nimporters > shown ? ",..." : "");
}

static int
text_segments(const struct adm_segments *l)
{
	char size[24];
	int wsize = 4, w;
	size_t i;

	for (i = 0; i < l->n; i++) {
		w = snprintf(size, sizeof(size), "%" PRIu64, l->seg[i].size);
		if (w > wsize)
			wsize = w;
	}
	printf("%-10s  %-7s  %-6s  %*s  %-4s  %-9s  %s\n", "SEGID", "OWNER",
	    "UID", wsize, "SIZE", "MODE", "PUBLISHED", "IMPORTERS");
	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_seginfo *s = &l->seg[i];
		char segid[16], imp[256];

		if (s->published)
			snprintf(segid, sizeof(segid), "%#010" PRIx32,
			    s->segid);
		else
			snprintf(segid, sizeof(segid), "-");
		format_importers(s, l->self, imp, sizeof(imp));
		printf("%-10s  %-7" PRIu32 "  %-6" PRIu32 "  %*" PRIu64
		    "  %04" PRIo32 "  %-9s  %s\n", segid, s->owner_pid,
		    s->owner_uid, wsize, s->size, s->mode & 07777,
		    s->published ? "yes" : "no", imp);
	}
	return ferror(stdout) ? -1 : 0;
}

static int
text_controllers(const struct adm_ctlrs *l)
{
	size_t i;
	int wname = 4;

	for (i = 0; i < l->n; i++)
		if ((int)strlen(l->ctlr[i].name) > wname)
			wname = (int)strlen(l->ctlr[i].name);
	printf("%-*s  %-5s  %9s  %20s\n", wname, "NAME", "TYPE", "PAGESIZE",
	    "MAXSEGSIZE");
	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_ctlr_reply *c = &l->ctlr[i];

		printf("%-*s  %-5s  %9" PRIu64 "  %20" PRIu64 "\n", wname,
		    c->name, adm_xport_name(c->xport), c->page_size,
		    c->max_export_segment_size);
	}
	return ferror(stdout) ? -1 : 0;
}

/* STATUS's rmap: "wp-async", "wp-sync", "twins" or "unknown". */
const char *
adm_rmap_track_name(uint32_t rmap)
{
	switch (rmap & RSM_RMAP_TRACK_MASK) {
	case RSM_RMAP_TRACK_TWINS:
		return "twins";
	case RSM_RMAP_TRACK_WP_SYNC:
		return "wp-sync";
	case RSM_RMAP_TRACK_WP_ASYNC:
		return "wp-async";
	default:
		return "unknown";
	}
}

const char *
adm_node_state_name(uint32_t state)
{
	switch (state) {
	case RSM_NODE_STATE_DOWN:
		return "down";
	case RSM_NODE_STATE_CONNECTING:
		return "connecting";
	case RSM_NODE_STATE_UP:
		return "up";
	case RSM_NODE_STATE_IDLE:
		return "idle";
	default:
		return "unknown";
	}
}

static int
text_nodes(const struct adm_nodes *l)
{
	size_t i;
	int waddr = 7;

	for (i = 0; i < l->n; i++)
		if ((int)strlen(l->node[i].addr) > waddr)
			waddr = (int)strlen(l->node[i].addr);
	/* Five columns: the widest node id, 65535. */
	printf("%-5s  %-*s  %-10s  %12s  %10s  %12s\n", "NODE", waddr,
	    "ADDRESS", "STATE", "HEARTBEAT", "RTT", "UP");
	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_nodeinfo *n = &l->node[i];
		char hb[32], rtt[32], up[32];

		if (n->heartbeat_age_ms == RSM_NODE_NEVER)
			snprintf(hb, sizeof(hb), "never");
		else
			snprintf(hb, sizeof(hb), "%" PRIu64 " ms ago",
			    n->heartbeat_age_ms);
		if (n->rtt_us)
			snprintf(rtt, sizeof(rtt), "%" PRIu64 " us", n->rtt_us);
		else
			snprintf(rtt, sizeof(rtt), "-");
		if (n->state == RSM_NODE_STATE_UP)
			snprintf(up, sizeof(up), "%" PRIu64 ".%03" PRIu64 " s",
			    n->up_ms / 1000, n->up_ms % 1000);
		else
			snprintf(up, sizeof(up), "-");
		printf("%-5" PRIu32 "  %-*s  %-10s  %12s  %10s  %12s\n",
		    n->node, waddr, n->addr, adm_node_state_name(n->state), hb,
		    rtt, up);
	}
	return ferror(stdout) ? -1 : 0;
}

static int
text_ping(const struct rsm_msg_ping_reply *pr)
{
	printf("node %" PRIu32 ": round trip %" PRIu64 ".%03" PRIu64 " ms\n",
	    pr->node, pr->rtt_us / 1000, pr->rtt_us % 1000);
	return ferror(stdout) ? -1 : 0;
}

const struct adm_output adm_output_text = {
	.status = text_status,
	.segments = text_segments,
	.controllers = text_controllers,
	.nodes = text_nodes,
	.ping = text_ping,
};
