/*
 * output_text.c - rsmadm's human-readable output: aligned columns, one
 * line per item, a header line naming each column.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rsm_ctlr.h"
#include "rsm_err.h"
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

/* ---- stats ---- */

const char *
adm_stats_op_name(unsigned op)
{
	static const char *const names[RSM_STATS_NOPS] = {
		"put", "get", "putv", "getv", "atomic", "signal",
	};

	return op < RSM_STATS_NOPS ? names[op] : "unknown";
}

/*
 * A table printed with aligned columns: cells are filled row by row, and
 * each column is as wide as its widest cell.
 */
#define TAB_CELL	48
#define TAB_COLS	16

struct tab {
	size_t	 ncol, nrow, cap;
	char	(*cell)[TAB_COLS][TAB_CELL];
};

/* A new row of the table, or NULL without memory. */
static char (*tab_row(struct tab *t))[TAB_CELL]
{
	void *p;

	if (t->nrow == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		if ((p = realloc(t->cell, t->cap * sizeof(*t->cell))) == NULL)
			return NULL;
		t->cell = p;
	}
	memset(t->cell[t->nrow], 0, sizeof(t->cell[0]));
	return t->cell[t->nrow++];
}

static int
tab_print(struct tab *t)
{
	int w[TAB_COLS] = { 0 };
	size_t r, k;

	for (r = 0; r < t->nrow; r++)
		for (k = 0; k < t->ncol; k++)
			if ((int)strlen(t->cell[r][k]) > w[k])
				w[k] = (int)strlen(t->cell[r][k]);
	for (r = 0; r < t->nrow; r++)
		for (k = 0; k < t->ncol; k++)
			printf("%-*s%s", k + 1 < t->ncol ? w[k] : 0,
			    t->cell[r][k], k + 1 < t->ncol ? "  " : "\n");
	free(t->cell);
	t->cell = NULL;
	t->nrow = t->cap = 0;
	return ferror(stdout) ? -1 : 0;
}

/* "RSMERR_PERM_DENIED:2,RSMERR_BAD_LENGTH:1[,other:N]", or "-". */
static void
format_errors(const struct rsm_msg_stats *e, char *buf, size_t cap)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < RSM_STATS_ERRS && off < cap; i++)
		if (e->err[i].code != 0)
			off += (size_t)snprintf(buf + off, cap - off,
			    "%s%s:%" PRIu64, off ? "," : "",
			    rsm_err_name((int)e->err[i].code), e->err[i].count);
	if (e->errors_other && off < cap)
		off += (size_t)snprintf(buf + off, cap - off, "%sother:%"
		    PRIu64, off ? "," : "", e->errors_other);
	if (off == 0)
		snprintf(buf, cap, "-");
}

static void
format_segid(uint32_t segid, char *buf, size_t cap)
{
	if (segid != 0)
		snprintf(buf, cap, "%#010" PRIx32, segid);
	else
		snprintf(buf, cap, "-");
}

static const char *const data_head[] = {
	"WHAT", "SEGID", "HANDLE", "NODE", "PID", "UID", "XPORT", "PUT", "GET",
	"PUTV", "GETV", "ATOMIC", "SIGNAL", "CONN/DISC", "REVOKED", "ERRORS",
};

/* One segment or import: ops/bytes of each kind, counts, errors. */
static void
data_row(char (*c)[TAB_CELL], const struct rsm_msg_stats *e, uint32_t self)
{
	unsigned op, k = 0;
	int seg = e->kind == RSM_STATS_SEGMENT;

	snprintf(c[k++], TAB_CELL, "%s", seg ? "segment" : "import");
	format_segid(e->segid, c[k++], TAB_CELL);
	snprintf(c[k++], TAB_CELL, "%#" PRIx64, e->handle);
	snprintf(c[k++], TAB_CELL, "%" PRIu32, seg ? self : e->node);
	snprintf(c[k++], TAB_CELL, "%" PRIu32, e->pid);
	snprintf(c[k++], TAB_CELL, "%" PRIu32, e->uid);
	snprintf(c[k++], TAB_CELL, "%s", e->xport ? adm_xport_name(e->xport) :
	    "-");
	for (op = 0; op < RSM_STATS_NOPS; op++)
		if (op == RSM_STATS_OP_SIGNAL)
			snprintf(c[k++], TAB_CELL, "%" PRIu64, e->ops[op]);
		else
			snprintf(c[k++], TAB_CELL, "%" PRIu64 "/%" PRIu64,
			    e->ops[op], e->bytes[op]);
	if (seg)
		snprintf(c[k++], TAB_CELL, "%" PRIu64 "/%" PRIu64, e->connects,
		    e->disconnects);
	else
		snprintf(c[k++], TAB_CELL, "-");
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->revocations);
	format_errors(e, c[k], TAB_CELL);
}

static const char *const peer_head[] = {
	"PEER", "STATE", "FRAMES-TX", "FRAMES-RX", "BYTES-TX", "BYTES-RX",
	"RETRANS", "RTT-N", "P50-US", "P90-US", "P99-US", "MAX-US",
};

static void
peer_row(char (*c)[TAB_CELL], const struct rsm_msg_stats *e)
{
	unsigned k = 0;

	snprintf(c[k++], TAB_CELL, "%" PRIu32, e->node);
	snprintf(c[k++], TAB_CELL, "%s", adm_node_state_name(e->state));
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->frames_tx);
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->frames_rx);
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->bytes_tx);
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->bytes_rx);
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->retransmits);
	snprintf(c[k++], TAB_CELL, "%" PRIu32, e->rtt_samples);
	if (e->rtt_samples == 0) {
		for (; k < 12; k++)
			snprintf(c[k], TAB_CELL, "-");
		return;
	}
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->rtt_p50_us);
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->rtt_p90_us);
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->rtt_p99_us);
	snprintf(c[k++], TAB_CELL, "%" PRIu64, e->rtt_max_us);
}

/* A table of the entries of one kind (or two), with its header row. */
static int
stats_table(const struct adm_stats *l, uint32_t k1, uint32_t k2,
    const char *const *head, size_t ncol)
{
	struct tab t = { ncol, 0, 0, NULL };
	char (*c)[TAB_CELL];
	size_t i, k;

	if ((c = tab_row(&t)) == NULL)
		goto nomem;
	for (k = 0; k < ncol; k++)
		snprintf(c[k], TAB_CELL, "%s", head[k]);
	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_stats *e = &l->e[i];

		if (e->kind != k1 && e->kind != k2)
			continue;
		if ((c = tab_row(&t)) == NULL)
			goto nomem;
		if (e->kind == RSM_STATS_PEER)
			peer_row(c, e);
		else
			data_row(c, e, l->self);
	}
	return tab_print(&t);
nomem:
	free(t.cell);
	fprintf(stderr, "rsmadm: out of memory\n");
	return -1;
}

static int
text_stats(const struct adm_stats *l)
{
	char errs[512];
	size_t i, npeers = 0;

	for (i = 0; i < l->n; i++) {
		const struct rsm_msg_stats *e = &l->e[i];

		if (e->kind == RSM_STATS_PEER)
			npeers++;
		if (e->kind != RSM_STATS_NODE)
			continue;
		format_errors(e, errs, sizeof(errs));
		printf("node %" PRIu32 ": %" PRIu64 " connects, %" PRIu64
		    " disconnects, %" PRIu64 " revocations, %" PRIu64
		    " malformed data frames, refused: %s\n",
		    e->node, e->connects, e->disconnects, e->revocations,
		    e->malformed, errs);
	}
	if (stats_table(l, RSM_STATS_SEGMENT, RSM_STATS_IMPORT, data_head,
	    sizeof(data_head) / sizeof(data_head[0])) != 0)
		return -1;
	if (l->one || npeers == 0)
		return ferror(stdout) ? -1 : 0;
	putchar('\n');
	return stats_table(l, RSM_STATS_PEER, RSM_STATS_PEER, peer_head,
	    sizeof(peer_head) / sizeof(peer_head[0]));
}

/* ---- monitor ---- */

const char *
adm_event_name(uint32_t kind)
{
	switch (kind) {
	case RSM_MON_NODE_UP:		return "node-up";
	case RSM_MON_NODE_DOWN:		return "node-down";
	case RSM_MON_PUBLISH:		return "publish";
	case RSM_MON_UNPUBLISH:		return "unpublish";
	case RSM_MON_CONNECT:		return "connect";
	case RSM_MON_DISCONNECT:	return "disconnect";
	case RSM_MON_REVOKE:		return "revoke";
	case RSM_MON_REFUSAL:		return "refusal";
	default:			return "unknown";
	}
}

void
adm_iso_time(uint64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000u);
	struct tm tm;
	char day[32];

	if (gmtime_r(&sec, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, len, "%" PRIu64 "ns", ns);
		return;
	}
	snprintf(buf, len, "%s.%06" PRIu64 "Z", day, ns % 1000000000u / 1000);
}

/*
 * One line: time, event, node, segment, who, then what the kind adds
 * (a connect's transport, a revocation's or refusal's code and request).
 */
static int
text_event(const struct rsm_msg_mon_event *ev)
{
	char t[40], seg[16], who[40], more[96];

	adm_iso_time(ev->time_ns, t, sizeof(t));
	format_segid(ev->segid, seg, sizeof(seg));
	if (ev->uid == UINT32_MAX && ev->pid == 0)
		snprintf(who, sizeof(who), "-");
	else if (ev->uid == UINT32_MAX)
		snprintf(who, sizeof(who), "pid %" PRIu32, ev->pid);
	else
		snprintf(who, sizeof(who), "pid %" PRIu32 " uid %" PRIu32,
		    ev->pid, ev->uid);
	more[0] = '\0';
	if (ev->kind == RSM_MON_CONNECT || ev->kind == RSM_MON_DISCONNECT)
		snprintf(more, sizeof(more), "%s", ev->xport ?
		    adm_xport_name(ev->xport) : "");
	else if (ev->kind == RSM_MON_REVOKE)
		snprintf(more, sizeof(more), "%s",
		    rsm_err_name((int)ev->code));
	else if (ev->kind == RSM_MON_REFUSAL)
		snprintf(more, sizeof(more), "%s %s",
		    ev->what ? rsm_msg_name((uint16_t)ev->what) : "data",
		    rsm_err_name((int)ev->code));
	/* The widest node id is 5 digits, a segid 10 characters. */
	printf("%-27s  %-10s  node %-5" PRIu32 "  segid %-10s  %-*s%s%s\n",
	    t, adm_event_name(ev->kind), ev->node, seg, more[0] ? 20 : 0,
	    who, more[0] ? "  " : "", more);
	return ferror(stdout) ? -1 : 0;
}

static int
text_dropped(uint64_t n)
{
	printf("%" PRIu64 " events dropped (this monitor did not read them "
	    "in time)\n", n);
	return ferror(stdout) ? -1 : 0;
}

const struct adm_output adm_output_text = {
	.status = text_status,
	.segments = text_segments,
	.controllers = text_controllers,
	.nodes = text_nodes,
	.ping = text_ping,
	.stats = text_stats,
	.event = text_event,
	.dropped = text_dropped,
};
