/*
 * rsmadm.h - shared types of the rsm operator's tool.
 *
 * rsmadm speaks the wire protocol of proto/rsm_proto.h directly (it does
 * not link librsm, so it works even when the library is broken), collects
 * the daemon's replies, and hands them to one of two output tables.
 */
#ifndef RSMADM_H
#define RSMADM_H

#include <stddef.h>
#include <stdint.h>

#include "rsm_proto.h"
#include "rsm_admin.h"

/* Exit statuses, documented in rsmadm(8). */
#define ADM_EXIT_OK		0
#define ADM_EXIT_USAGE		1	/* bad command line */
#define ADM_EXIT_UNREACHABLE	2	/* no daemon, timeout, protocol fault */
#define ADM_EXIT_DAEMON		3	/* the daemon answered with an RSMERR */

/* Every wait on the daemon is bounded by this, in milliseconds. */
#define ADM_TIMEOUT_MS		5000

enum adm_action {
	ADM_NONE = 0,
	ADM_CONTROLLERS,
	ADM_HELP,
	ADM_MONITOR,
	ADM_NODES,
	ADM_PING,
	ADM_SEGMENT,
	ADM_SEGMENTS,
	ADM_STATS,
	ADM_STATUS,
};

/* One open control connection (client.c). */
struct adm_conn {
	int			 fd;
	const char		*path;
	uint64_t		 next_id;
	int64_t			 deadline_ms;	/* CLOCK_MONOTONIC, absolute */
	/* The local daemon's; with -n, node_id and instance are the node's. */
	struct rsm_msg_hello_reply hello;
	int			 remote;	/* -n: ask node, not this one */
	uint32_t		 node;
};

struct adm_segments {
	struct rsm_msg_seginfo	*seg;
	size_t			 n;
	uint32_t		 self;	/* the daemon's node id */
};

struct adm_ctlrs {
	struct rsm_msg_ctlr_reply *ctlr;
	size_t			 n;
};

struct adm_nodes {
	struct rsm_msg_nodeinfo	*node;
	size_t			 n;
	uint32_t		 self;		/* the asked daemon's node id */
};

/* STATS: the entries as they came, the END left out. */
struct adm_stats {
	struct rsm_msg_stats	*e;
	size_t			 n;
	uint32_t		 self;		/* the asked daemon's node id */
	int			 one;		/* asked for one segment */
};

/*
 * The output table: text (output_text.c) or JSON (output_json.c).  Each
 * returns 0, or -1 when stdout could not be written.
 */
struct adm_output {
	int (*status)(const struct rsm_msg_hello_reply *,
	    const struct rsm_msg_status *);
	int (*segments)(const struct adm_segments *);
	int (*controllers)(const struct adm_ctlrs *);
	int (*nodes)(const struct adm_nodes *);
	int (*ping)(const struct rsm_msg_ping_reply *);
	int (*stats)(const struct adm_stats *);
	/* monitor: one event, or how many were lost; a line each, flushed. */
	int (*event)(const struct rsm_msg_mon_event *);
	int (*dropped)(uint64_t n);
};

extern const struct adm_output adm_output_text;
extern const struct adm_output adm_output_json;
/* -p: adm_output_json indents each command's object (not monitor's). */
void	adm_json_pretty(int on);

/* client.c: each returns an ADM_EXIT_* code, having said why on stderr. */
int	adm_open(struct adm_conn *, const char *path);
void	adm_close(struct adm_conn *);
int	adm_get_status(struct adm_conn *, struct rsm_msg_status *);
int	adm_get_segments(struct adm_conn *, struct adm_segments *);
int	adm_get_ctlrs(struct adm_conn *, struct adm_ctlrs *);
int	adm_get_nodes(struct adm_conn *, struct adm_nodes *);
int	adm_ping(struct adm_conn *, uint32_t node, struct rsm_msg_ping_reply *);
/* STATS: every entry (flags, segid as in struct rsm_msg_stats_req). */
int	adm_get_stats(struct adm_conn *, uint32_t flags, uint32_t segid,
	    struct adm_stats *);
/*
 * Any one-reply request (after a HELLO, the first time): the reply's
 * payload into rep (at most repcap bytes), its size in *replen.
 */
int	adm_call(struct adm_conn *, uint16_t type, const void *req,
	    size_t reqlen, void *rep, size_t repcap, size_t *replen);

/*
 * cmd_segment.c: "rsmadm segment ...", argv[0] being "segment"; node:
 * NULL, or the node -n names.
 */
int	adm_segment(int argc, char *argv[], const char *path,
	    const uint32_t *node, const struct adm_output *out);

/* remote.c: -n NODE. */
/* Ask node instead of the local daemon, from now on. */
void	adm_remote_set(struct adm_conn *, uint32_t node);
/* 0 when the command `word` (asking `type`) may use -n; else says why. */
int	adm_remote_command(const char *word, uint16_t type);
/* An ADMIN_REMOTE request: the wrapper, then the request's payload. */
struct adm_wrapped {
	struct rsm_msg_admin_remote w;
	unsigned char		 arg[RSM_ADM_ARG_MAX];
};
/* The ADMIN_REMOTE request for type and its payload; its size, 0 if none. */
size_t	adm_remote_wrap(const struct adm_conn *, uint16_t type,
	    const void *req, size_t reqlen, struct adm_wrapped *);
/*
 * A checked ADMIN_REMOTE reply: step *p and *len past its wrapper, note
 * who answered; -1 when it answers another node or request.
 */
int	adm_remote_unwrap(struct adm_conn *, uint16_t type, const void **p,
	    size_t *len);
/* Say why the node was not asked or refused; the exit code. */
int	adm_remote_refused(const struct adm_conn *, uint16_t type, int status);

/*
 * cmd_stats.c: "rsmadm stats [SEGID]", argv[0] being "stats"; node:
 * NULL, or the node -n names.
 */
int	adm_stats(int argc, char *argv[], const char *path,
	    const uint32_t *node, const struct adm_output *out);
/* cmd_monitor.c: "rsmadm monitor", until a signal or rsmd goes away. */
int	adm_monitor(const char *path, const struct adm_output *out);

/* output_text.c: names shared by both output tables. */
const char *adm_xport_name(uint32_t xport);
const char *adm_node_state_name(uint32_t state);
/* "put", "get", ... by RSM_STATS_OP_*. */
const char *adm_stats_op_name(unsigned op);
/* "publish", "node-down", ... by RSM_MON_*. */
const char *adm_event_name(uint32_t kind);
/* An event's CLOCK_REALTIME time as ISO 8601 UTC with microseconds. */
void	adm_iso_time(uint64_t ns, char *buf, size_t len);
const char *adm_rmap_track_name(uint32_t rmap);

#endif /* RSMADM_H */
