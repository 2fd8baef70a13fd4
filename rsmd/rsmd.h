/*
 * rsmd.h - shared types and prototypes of the rsm node daemon.
 *
 * rsmd is the home of every segment exported on the node: it holds each
 * segment's memfd and its own MAP_SHARED mapping, decides who may import
 * what (spec section 4), enforces limits and quotas, and tells importers
 * when a segment goes away or moves.  The registry (registry.c) is pure
 * data with no I/O so that it can be unit tested; control.c does the
 * sockets, notify.c the daemon-to-client notifications.
 */
#ifndef RSMD_H
#define RSMD_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "rsm_proto.h"
#include "rsm_ratelimit.h"
#include "stats.h"

#define RSMD_DEFAULT_CONFIG	"/etc/rsm/rsmd.conf"
/* Where the data server (controller tcp0) listens unless configured. */
#define RSMD_DEFAULT_DATA_LISTEN "127.0.0.1:0"

/* Slots for data services' state, indexed by RSM_XPORT_* (service.h). */
#define RSMD_SERVICE_SLOTS	8u

/* First automatic segment id, spec 2.4. */
#define RSMD_AUTO_SEGID_BASE	0x80000000u
/* Application segment ids at or below this are reserved, spec 2.4. */
#define RSMD_RESERVED_SEGID_END	0x3fffffu
/* The protections an access-list entry may carry (numeric check, spec 4.4). */
#define RSMD_ACL_PERM_MAX	0666u
/*
 * The peers one node may have (`peer` lines): enough for clusters of
 * hundreds of nodes, and bounded because each peer costs on every tick
 * (its heartbeat and deadlines are walked), a descriptor or two (rsmd
 * raises RLIMIT_NOFILE to its hard limit), a lookup per received frame
 * (by node id, in a sorted array) and an entry of the TOPOLOGY stream,
 * whose receiver takes at most RSM_TOPO_REMOTE_MAX.  Not bounded by the
 * node ids, 0..RSM_NODE_ID_MAX.
 */
#define RSM_PEERS_MAX		4096u
_Static_assert(RSM_PEERS_MAX <= RSM_TOPO_REMOTE_MAX,
    "every peer is a remote of the topology");

/* ---- config.c ---- */

enum rsmd_log_level {
	RSMD_LOG_ERROR = 0,
	RSMD_LOG_WARN,
	RSMD_LOG_INFO,
	RSMD_LOG_DEBUG,
};

struct rsmd_config {
	uint32_t	 node_id;
	char		*socket;
	uint32_t	 socket_mode;
	int		 log_level;
	char		*pidfile;		/* NULL: none */
	char		*user;			/* NULL: stay as started */
	uint32_t	 segid_min;
	uint32_t	 segid_max;
	uint64_t	 max_segments;
	uint64_t	 max_segment_size;
	uint64_t	 quota_segments;	/* 0: no quota */
	uint64_t	 quota_bytes;
	uint64_t	 quota_imports;
	/* Cluster: peer daemons (peer.c). */
	struct rsmd_addr *listen;		/* NULL: accept no peers */
	/* The data server (serve_tcp.c); NULL: see config_data_listen(). */
	struct rsmd_addr *data_listen;
	/* The rdma_cm listener of the verbs data path; NULL: none. */
	struct rsmd_addr *verbs_listen;
	/* 1: one memory window per importer queue pair, where the device
	 * has them; 0: the segment's memory regions' rkeys (serve_verbs.c). */
	uint64_t	 verbs_windows;
	uint64_t	 ucx;		/* 1: serve ucx0 (off: no rkey checks) */
	/* 1: seal tcp0 data connections accepted from now on. */
	int		 data_encrypt;
	/*
	 * npeers entries: the peer lines first (npeers_listed of them), then
	 * the lines of peers_file other than this node's own.
	 */
	struct rsmd_addr *peers;
	size_t		 npeers;
	size_t		 npeers_listed;
	char		*peers_file;		/* NULL: none */
	char		*segment_dir;		/* daemon segments' files; NULL: memfds */
	int		 peer_links;		/* RSMD_LINKS_* as written */
	uint64_t	 peer_idle_timeout;	/* seconds, on-demand links */
	char		*cluster_key_file;	/* required with listen or peers */
	uint64_t	 heartbeat_ms;
	uint64_t	 dead_after_ms;
	/*
	 * After serving anything the loop polls for this long before it
	 * sleeps (0: never): a request that follows within it costs no
	 * wake-up, most of a short round trip on a VM.
	 */
	uint64_t	 busy_poll_us;
};

/*
 * peer_links: whether a peer's link is kept up all the time, or made when
 * something needs it and closed once idle; auto is on-demand with a
 * peers_file (a cluster-wide list, possibly hundreds of nodes) and always
 * with only peer lines.
 */
#define RSMD_LINKS_AUTO		0
#define RSMD_LINKS_ALWAYS	1
#define RSMD_LINKS_ON_DEMAND	2
/* Whether links are made on demand under this configuration. */
int	 config_links_on_demand(const struct rsmd_config *);

/*
 * A numeric "HOST:PORT" (IPv4, or [IPv6]) from the config; peers also
 * carry the node id.  Numeric only, so the loop never waits on a resolver.
 */
struct rsmd_addr {
	uint32_t	 node_id;		/* peers only */
	char		 text[64];		/* as written */
	struct sockaddr_storage sa;
	socklen_t	 salen;
};

void	 config_defaults(struct rsmd_config *);
/*
 * Parse FILE into *cf (which starts from the defaults).  Every error is
 * reported as "file:line: message"; returns 0, or -1 after reporting all
 * errors.  missing_ok: a file that does not exist gives the defaults with
 * node_id 0 and a warning, and *missing is set.
 */
int	 config_load(const char *file, struct rsmd_config *cf, int missing_ok,
	    int *missing);
void	 config_print(const struct rsmd_config *, FILE *);
void	 config_free(struct rsmd_config *);
int	 config_parse_level(const char *, int *);
/*
 * Where tcp0's data port listens: data_listen; without it the host of
 * listen with port 0 (peers reach this node there); else 127.0.0.1:0.
 * 1 when the administrator chose it (it must work), 0 for the default.
 */
int	 config_data_listen(const struct rsmd_config *, struct rsmd_addr *);
/* A numeric HOST:PORT (see struct rsmd_addr); -1 with *why on error. */
int	 config_parse_addr(const char *, struct rsmd_addr *, const char **why);
const char *config_level_name(int);

/* ---- registry.c ---- */

/*
 * Whoever owns segments and imports: one per client connection.  The
 * registry reads the credentials and keeps the lists; the socket side
 * embeds it in struct client.
 */
struct reg_owner {
	uid_t		 uid;
	gid_t		 gid;
	pid_t		 pid;
	gid_t		*groups;	/* supplementary groups, may include gid */
	size_t		 ngroups;
	/*
	 * 0: a client of this daemon (the owner is its struct client).  Else
	 * the node of a remote importer that its daemon connected for (the
	 * owner is part of remote_export.c's record, never a client).
	 */
	uint32_t	 node;
	TAILQ_HEAD(, reg_segment) segments;
	TAILQ_HEAD(, reg_import) imports;
};

/* Intrusive hash chain node, keyed by a 64-bit value. */
struct hnode {
	struct hnode	*next;
	uint64_t	 key;
};

struct htab {
	struct hnode	**bucket;
	size_t		 nbucket;	/* power of two */
	size_t		 count;
};

struct reg_segment {
	struct hnode	 by_handle;
	struct hnode	 by_segid;	/* while published */
	TAILQ_ENTRY(reg_segment) all_link;
	TAILQ_ENTRY(reg_segment) owner_link;
	struct reg_owner *owner;
	uint64_t	 handle;
	uint64_t	 size;
	uint32_t	 flags;		/* RSM_ALLOW_REBIND | RSM_CREATE_SEG_DONTWAIT */
	uint32_t	 mode;		/* creator's default mode */
	uint32_t	 xport;
	/* Exported through a this-node-only controller (loopback, 4.4). */
	int		 this_node_only;
	pid_t		 pid;		/* creator's identity, kept for listing */
	uid_t		 uid;
	gid_t		 gid;
	int		 published;
	uint32_t	 segid;
	uint32_t	 acl_len;
	struct rsm_wire_ace acl[RSM_ACL_MAX];
	TAILQ_HEAD(, reg_import) imports;	/* live (not revoked) imports */
	size_t		 nimports;
	/* Memory: managed by control.c, never touched by the registry. */
	int		 fd;
	void		*map;
	/*
	 * fd reopened read-only for importers without write rights, or -1:
	 * opened at the first such connect and shared by all of them, closed
	 * when the segment has no importers left or its memory goes.
	 */
	int		 ro_fd;
	/* A daemon segment's record (dseg.c), NULL for a client's own. */
	struct dseg	*dseg;
	/* What its importers did through rsmd, kept while it lives. */
	struct stats_data stats;
};

struct reg_import {
	struct hnode	 by_handle;
	TAILQ_ENTRY(reg_import) seg_link;
	TAILQ_ENTRY(reg_import) owner_link;
	struct reg_owner *owner;
	struct reg_segment *seg;	/* NULL once revoked */
	uint64_t	 handle;
	uint32_t	 perm;		/* granted RSM_PERM_* */
	uint32_t	 node_mode;
	uint32_t	 reason;	/* why it was revoked, 0 while live */
	/* Data-path capability (tcp0, verbsN): capability.c's, not ours. */
	struct rsmd_cap	*cap;
	/*
	 * An import of a segment on another node (remote_import.c): seg is
	 * always NULL, reason says whether it is still live.
	 */
	struct rmt_import *remote;
	/* Its segment's id at connect (kept after a revocation), data path. */
	uint32_t	 segid;
	uint32_t	 xport;		/* RSM_XPORT_*, set by the connecting handler */
	int		 announced;	/* its connect was told (monitor.c) */
	struct stats_data stats;
};

/* Per-uid usage, kept only while nonzero. */
struct reg_usage {
	struct hnode	 node;
	uint64_t	 segments;
	uint64_t	 bytes;
	uint64_t	 imports;
};

struct reg_limits {
	uint32_t	 node_id;
	uint32_t	 segid_min;
	uint32_t	 segid_max;
	uint64_t	 max_segments;
	uint64_t	 max_segment_size;
	uint64_t	 quota_segments;
	uint64_t	 quota_bytes;
	uint64_t	 quota_imports;
	uint64_t	 page_size;
};

struct registry;

/*
 * Told of the registry's changes the monitor reports: RSM_MON_PUBLISH
 * once made; _UNPUBLISH, _REVOKE (code: the reason) and _DISCONNECT just
 * before, while segment and import still name each other (a disconnect
 * of an import revoked before has no segment).  Connects are told by the
 * handlers, which know when one is complete.  The watch may count in the
 * records it is handed but not change the registry.  The registry does no I/O itself: rsmd
 * sets this (monitor.c), its unit test leaves it NULL.
 */
typedef void (*reg_watch_fn)(struct registry *, uint32_t kind,
	    struct reg_segment *, struct reg_import *, uint32_t code);

struct registry {
	struct reg_limits lim;
	reg_watch_fn	 watch;
	void		*watch_arg;
	struct htab	 seg_by_handle;
	struct htab	 seg_by_segid;
	struct htab	 imp_by_handle;
	struct htab	 usage_by_uid;
	TAILQ_HEAD(, reg_segment) all;
	uint64_t	 next_handle;
	uint32_t	 next_segid;
	int		 segids_exhausted;
	uint64_t	 nsegments;
	uint64_t	 npublished;
	uint64_t	 nimports;
	uint64_t	 bytes;
};

int	 reg_init(struct registry *, const struct reg_limits *);
void	 reg_set_limits(struct registry *, const struct reg_limits *);
/* Frees the tables; every segment and import must be gone already. */
void	 reg_fini(struct registry *);
void	 reg_owner_init(struct reg_owner *, uid_t, gid_t, pid_t);

/* EXPORT_CREATE checks that need no descriptor: flags, then size. */
int	 reg_export_check_args(const struct registry *, uint64_t size,
	    uint32_t flags);
/* Node limit and quotas, then a new unpublished segment (fd = -1). */
int	 reg_export_add(struct registry *, struct reg_owner *, uint64_t size,
	    uint32_t flags, uint32_t mode, uint32_t xport,
	    struct reg_segment **);
/* Unlink and free; the segment must be unpublished and without imports. */
void	 reg_export_remove(struct registry *, struct reg_segment *);
int	 reg_rebind_check(const struct reg_segment *, uint64_t size);

int	 reg_acl_check(const struct registry *, const struct reg_segment *,
	    const struct rsm_wire_ace *, uint32_t n);
int	 reg_segid_check(const struct registry *, uint32_t segid);
int	 reg_publish(struct registry *, struct reg_segment *, uint32_t *segid,
	    const struct rsm_wire_ace *, uint32_t n);
int	 reg_republish(struct registry *, struct reg_segment *,
	    const struct rsm_wire_ace *, uint32_t n);
/* Leaves the segid table; the caller revokes the imports first. */
int	 reg_unpublish(struct registry *, struct reg_segment *);

/* The permission decision of spec 4.1 and 4.2; *node_mode on success. */
int	 reg_access(const struct registry *, const struct reg_segment *,
	    const struct reg_owner *, uint32_t node, uint32_t perm,
	    uint32_t *node_mode);
int	 reg_import_connect(struct registry *, struct reg_owner *,
	    uint32_t node, uint32_t segid, uint32_t perm,
	    struct reg_import **);
/* The same decision for a process on node `from` (a remote connect). */
int	 reg_import_connect_from(struct registry *, struct reg_owner *,
	    uint32_t from, uint32_t segid, uint32_t perm,
	    struct reg_import **);
/*
 * An import of a segment on another node: quota and counters as for any
 * import, no segment here (the exporting node decides the rest).
 */
int	 reg_import_add_remote(struct registry *, struct reg_owner *,
	    uint32_t perm, struct reg_import **);
/* Any import by handle, whoever owns it; NULL when unknown. */
struct reg_import *reg_import_by_handle(const struct registry *,
	    uint64_t handle);
/* Detach a live import from its segment (the import handle stays). */
void	 reg_import_revoke(struct registry *, struct reg_import *,
	    uint32_t reason);
void	 reg_import_remove(struct registry *, struct reg_import *);

/* Lookups: NULL when unknown or owned by another client. */
struct reg_segment *reg_segment_find(const struct registry *,
	    const struct reg_owner *, uint64_t handle);
struct reg_import *reg_import_find(const struct registry *,
	    const struct reg_owner *, uint64_t handle);
struct reg_segment *reg_segment_by_segid(const struct registry *,
	    uint32_t segid);
const struct reg_usage *reg_usage_of(const struct registry *, uid_t);

/* ---- refusal.c ---- */

/*
 * Why the registry refused, in words, for the line a handler logs: into
 * buf, which is returned.  rc is what the registry (or the checks made
 * before it) answered; the arguments are those of the refused call.
 */
const char *refusal_export_why(const struct registry *,
	    const struct reg_owner *, uint64_t size, uint32_t flags, int rc,
	    char *buf, size_t len);
const char *refusal_publish_why(const struct registry *,
	    const struct reg_segment *, uint32_t segid,
	    const struct rsm_wire_ace *, uint32_t n, int rc, char *buf,
	    size_t len);
/* reg_import_connect_from() by o on node from, or reg_import_connect(). */
const char *refusal_import_why(const struct registry *,
	    const struct reg_owner *o, uint32_t from, uint32_t segid,
	    uint32_t perm, int rc, char *buf, size_t len);

/* RSM_PERM_READ, _WRITE, _RDWR as "read", "write", "read and write". */
const char *refusal_perm(uint32_t perm);
/*
 * The level of a refusal's line: RSMD_LOG_INFO for a well-formed request
 * refused (access denied, in use, a limit or quota), RSMD_LOG_WARN for
 * input a working library never sends (bad flags, handles, lists).
 */
int	 refusal_level(int rc);


/* ---- log.c: see log.h ---- */

/* ---- loop.c ---- */

struct rsmd;

/*
 * One descriptor the loop watches; epoll hands back a pointer to this, and
 * the loop calls ready() with the events.  Embed it in whatever owns fd.
 */
struct rsmd_io {
	int	 fd;
	void	(*ready)(struct rsmd *, struct rsmd_io *, uint32_t events);
};

int	 rsmd_io_add(struct rsmd *, struct rsmd_io *, uint32_t events);
int	 rsmd_io_mod(struct rsmd *, struct rsmd_io *, uint32_t events);
void	 rsmd_io_del(struct rsmd *, struct rsmd_io *);

/* A one-shot timer on the monotonic clock (rsm_now_ms()); fire() may re-arm. */
struct rsmd_timer {
	TAILQ_ENTRY(rsmd_timer) link;
	uint64_t due_ms;
	int	 armed;
	void	(*fire)(struct rsmd *, struct rsmd_timer *);
};

void	 rsmd_timer_set(struct rsmd *, struct rsmd_timer *, uint64_t due_ms);
void	 rsmd_timer_cancel(struct rsmd *, struct rsmd_timer *);
/* How long epoll may sleep: until the first timer, at most cap_ms (-1: no cap). */
int	 rsmd_timer_wait_ms(const struct rsmd *, int cap_ms);
/* Fire every timer that is due. */
void	 rsmd_timer_run(struct rsmd *);

/* ---- sockets.c ---- */

/*
 * Accept one connection on the listening socket io watches: the new
 * descriptor (non-blocking, close-on-exec; its address in *ss unless
 * NULL), or -1 when there is none now.  -1 with *exhausted set: out of
 * descriptors or memory, logged, and io no longer watched until the
 * caller resumes it (rsmd_io_mod).
 */
int	 rsmd_accept(struct rsmd *, struct rsmd_io *io,
	    struct sockaddr_storage *ss, const char *what, int *exhausted);
/* "HOST:PORT" or "[HOST]:PORT" of an IPv4 or IPv6 address, for logs. */
void	 rsmd_addr_text(const struct sockaddr_storage *, char *buf,
	    size_t len);

/* ---- control.c ---- */

struct outmsg;

struct client {
	struct reg_owner owner;		/* first: registry lists and creds */
	TAILQ_ENTRY(client) link;
	struct rsmd_io	 io;		/* io.fd is the client's socket */
	int		 fd;
	int		 dead;		/* closing at the end of this round */
	uint32_t	 events;	/* what epoll currently waits for */
	TAILQ_HEAD(, outmsg) outq;
	size_t		 outq_len;
	uint64_t	 serial;	/* never reused: finds it again after a wait */
	/* While its requests are read: replies held to go out together. */
	struct client_cork *cork;
};

struct rsmd {
	struct rsmd_config conf;
	const char	*conf_file;
	int		 conf_missing_ok;
	int		 debug;		/* -d: log_level forced to debug */
	int		 epfd;
	int		 listen_fd;
	struct rsmd_io	 listen_io;
	TAILQ_HEAD(, rsmd_timer) timers;
	int		 accept_paused;
	char		*socket_path;	/* the path bound; unlinked at exit */
	struct registry	 reg;
	TAILQ_HEAD(, client) clients;
	TAILQ_HEAD(, client) closing;
	uint64_t	 nclients;
	uint64_t	 requests;
	uint64_t	 refused;
	/* /dev/userfaultfd, opened as root, lent to remote maps; -1: none. */
	int		 uffd_dev;
	uint32_t	 rmap_track;	/* RSM_RMAP_TRACK_*, this kernel's best */
	uint64_t	 instance;
	uint64_t	 start_ms;
	struct peers	*peers;		/* peer daemons (peer.c) */
	/* Each data service's state, by RSM_XPORT_* (service.h). */
	void		*svc_state[RSMD_SERVICE_SLOTS];
	struct cap_table *caps;		/* capability.h; NULL before the first */
	/*
	 * Refused requests, local and remote (log_refusal): whoever is
	 * refused may ask again in a loop, so their lines are rate limited.
	 */
	struct rsm_ratelimit refusal_log;
	struct stats_node stats;	/* refusals of the whole node */
	struct monitor	*monitor;	/* monitor.c: subscribers */
};

/*
 * handle_uffd.c: open /dev/userfaultfd (as root, before privileges
 * drop), and find which write tracking this kernel gives remote maps.
 */
void	 uffd_dev_open(struct rsmd *);

/* At most 10 refusal lines a second, the rest counted. */
#define RSMD_REFUSAL_LOG_INIT	RSM_RATELIMIT_INIT(1000, 10)

/* Resolve the socket path, refuse to start beside a live daemon, listen. */
int	 control_listen(struct rsmd *);
void	 control_close(struct rsmd *);
void	 control_chmod(struct rsmd *);
void	 control_accept(struct rsmd *);
/* epoll reported events for a client. */
void	 control_client_event(struct rsmd *, struct client *, uint32_t);
/* Close the clients marked dead; done once per loop round. */
void	 control_reap(struct rsmd *);
void	 control_shutdown(struct rsmd *);
/*
 * A handler's status meaning "the reply comes later": the handler keeps
 * the client's serial and the request id and answers with control_reply().
 */
#define RSMD_DEFERRED	(-1)
/* The live client with this serial, or NULL once it is gone. */
struct client *control_client_by_serial(struct rsmd *, uint64_t serial);
/* The one reply to a deferred request (an error reply has no payload). */
void	 control_reply(struct rsmd *, struct client *, uint16_t type,
	    uint64_t id, int status, const void *payload, size_t len);
/* Queue or send one message; on a hard error the client is marked dead. */
void	 client_send(struct rsmd *, struct client *, const struct rsm_msg_hdr *,
	    const void *payload, size_t len, int fd);

/* ---- controllers.c ---- */

struct rsm_ctlr_type;
struct rsmd_service;

/*
 * The controllers of this node in table order, units in order: one of
 * each type that is not served, and the units its service has of a
 * served one.
 */
struct ctlr_iter {
	size_t		 row;
	uint32_t	 unit;		/* of the controller last returned */
	uint32_t	 next_unit;
	const struct rsm_ctlr_type *type;
	char		 name[RSM_CTLR_NAME_MAX];
};

void	 ctlr_iter_init(struct ctlr_iter *);
/* The next controller into *it (name, type, unit): 1, or 0 at the end. */
int	 ctlr_next(const struct rsmd *, struct ctlr_iter *);
/*
 * The attributes of controller `name` of this node: RSM_SUCCESS, or
 * RSMERR_CTLR_NOT_PRESENT.  Served types exist as their service says.
 */
int	 ctlr_describe(struct rsmd *, const char *name,
	    struct rsm_msg_ctlr_reply *);
/* The data service imports of type t go through, NULL for none. */
const struct rsmd_service *served_by(const struct rsm_ctlr_type *t);
/* Whether this node has a controller of type t (any unit). */
int	 ctlr_present(const struct rsmd *, const struct rsm_ctlr_type *t);
/* The name of the controller peer daemons are reached through. */
void	 ctlr_peer_route(char *name, size_t len);

/* ---- segment.c ---- */

/*
 * Check a received segment descriptor is a regular file (a memfd) of at
 * least (exact: exactly) size bytes, then map it shared.
 */
int	 segment_fd_check(int fd, uint64_t size, int exact);
int	 segment_map(int fd, uint64_t size, int exact, void **map);
/* Unmap and close the segment's memory (and its read-only reopen). */
void	 segment_release_memory(struct reg_segment *);
/* Importers hear REVOKED, then the segment is unpublished and freed. */
void	 segment_destroy(struct rsmd *, struct reg_segment *);
/*
 * The descriptor to give an importer with these rights, or -1; *owned
 * says the caller must close it once sent.
 */
int	 segment_fd_for(struct reg_segment *, uint32_t perm, int *owned);
/* Close the segment's read-only reopen once it has no importers left. */
void	 segment_ro_put(struct reg_segment *);

/* ---- dseg.c: daemon segments (rsmadm segment) ---- */

/* Take back the segments segment_dir holds (at start). */
void	 dseg_adopt(struct rsmd *);
/* Free removed segments no importer holds any more (each loop round). */
void	 dseg_reap(struct rsmd *);
void	 dseg_shutdown(struct rsmd *);
/* Whether rsmd owns s: there is no client to hear its signals. */
int	 dseg_is_daemon(const struct reg_segment *s);

/* ---- notify.c ---- */

void	 notify_revoke_all(struct rsmd *, struct reg_segment *, uint32_t);
/* Cut one import of a segment off (REVOKED, capabilities revoked). */
void	 notify_revoke_one(struct rsmd *, struct reg_import *, uint32_t);
void	 notify_rebound(struct rsmd *, struct reg_segment *);
void	 notify_event(struct rsmd *, struct client *, uint32_t kind,
	    uint32_t flags, uint64_t handle);
/* ---- capability.h, service.h: the data services (tcp0, verbsN) ---- */

#endif /* RSMD_H */
