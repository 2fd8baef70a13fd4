/*
 * serve_verbs.h - the verbs data service (controllers verbsN), private to
 * serve_verbs.c (the service, its devices), verbs_listen.c (the rdma_cm
 * listener, the importers' queue pairs and their signals) and verbs_mem.c
 * (the segments' memory regions and the importers' windows).
 *
 * The service's state is one struct vserv, made at start and kept in
 * rs->svc_state[RSM_XPORT_VERBS]; a queue pair reaches it through k->vs.
 * Everything runs on the daemon's one thread.
 */
#ifndef RSMD_SERVE_VERBS_H
#define RSMD_SERVE_VERBS_H

#include <stdint.h>
#include <sys/queue.h>

#include "rsmd.h"
#include "capability.h"
#include "verbs_dl.h"
#include "verbs_dev.h"
#include "rsm_clock.h"
#include "rsm_data.h"
#include "rsm_ratelimit.h"

#define VS_DEV_MAX		8u
#define VS_CONNS_MAX		1024u
/* Connections by serial (sequential, so the low bits spread them). */
#define VS_SERIAL_BUCKETS	256u
#define VS_RECV_SIZE		64u
/* Memory region kinds: read, write, read+write. */
#define VS_MR_KINDS		3u
/*
 * The daemon's own sends on a queue pair: the ready message, a window's
 * bind, and at a rebind an invalidation and a bind.  Their wr_id's low
 * byte tells them from receives (slots 0 .. RSM_VERBS_RECV_DEPTH - 1).
 */
#define VS_SEND_DEPTH		4u
#define VS_WR_READY		0xf0u
#define VS_WR_BIND		0xf1u
#define VS_WR_INV		0xf2u
/* How long a rebind waits for the windows to move to the new memory. */
#define VS_REBIND_WAIT_MS	2000u

struct vserv;

/*
 * A device the service listens on: its rdma_cm listener, bound to one
 * of its addresses (so the listener and every queue pair it accepts are
 * on that device), and its protection domain and completion queue.
 */
struct vs_dev {
	struct vserv	*vs;
	unsigned	 unit;		/* controller verbsN */
	struct rdma_cm_id *listen_id;	/* context: this vs_dev */
	struct ibv_context *ctx;
	struct ibv_pd	*pd;
	struct ibv_comp_channel *cch;
	struct ibv_cq	*cq;
	struct rsmd_io	 cch_io;
	int		 watched;
	int		 windows;	/* type 2 windows per queue pair */
	/* The device does atomics: read-write imports get REMOTE_ATOMIC. */
	int		 atomics;
	unsigned	 nconns;
	unsigned	 conns_max;	/* VS_CONNS_MAX, or what the CQ holds */
	uint8_t		 addr[16];
	uint16_t	 port;
	uint8_t		 family;
	char		 name[96];
};

/* An importer's queue pair. */
struct vs_conn {
	TAILQ_ENTRY(vs_conn) link;
	LIST_ENTRY(vs_conn) serial_link;
	struct vserv	*vs;		/* the service it belongs to */
	struct vs_dev	*vd;		/* the device it arrived on */
	struct rdma_cm_id *id;
	struct cap_conn	 cc;		/* its capability (capability.h) */
	uint64_t	 serial;	/* in wr_id: finds it, or not, later */
	char		*rbuf;		/* receives, then the ready message */
	struct ibv_mr	*rmr;
	int		 established;
	/* The challenge it was sent, and whether its proof verified. */
	uint8_t		 nonce[RSM_DATA_NONCE_LEN];
	int		 proven;
	struct ibv_mw	*mw;		/* its window (windows mode) */
	uint32_t	 rkey;		/* the rkey it was sent */
	unsigned	 sends;		/* own sends not completed yet */
};

/* The memory regions of one segment on one device. */
struct vs_segmr {
	/* Without windows: one region per access kind, remote access. */
	struct ibv_mr	*mr[VS_MR_KINDS];
	/* Windows: the one region they bind to, with no remote access. */
	struct ibv_mr	*bind_mr;
};

/* The memory regions of one segment, by served device (vserv's srv). */
struct vs_seg {
	LIST_ENTRY(vs_seg) link;
	struct reg_segment *s;
	void		*map;		/* the mapping they were made on */
	struct vs_segmr	 d[VS_DEV_MAX];
};

struct vserv {
	const struct verbs_dl *v;
	unsigned	 ndev;
	struct verbs_devinfo dev[VS_DEV_MAX];
	/*
	 * The devices served (verbs_listen's alone, or every device with an
	 * address), in unit order; one event channel for their listeners.
	 */
	int		 serving;
	unsigned	 nsrv;
	struct vs_dev	 srv[VS_DEV_MAX];
	struct rdma_event_channel *ech;
	struct rsmd_io	 ech_io;
	int		 ech_watched;
	TAILQ_HEAD(, vs_conn) conns;
	unsigned	 nconns;
	uint64_t	 next_serial;
	/* Every completion names its connection by serial (wr_id). */
	LIST_HEAD(, vs_conn) by_serial[VS_SERIAL_BUCKETS];
	LIST_HEAD(, vs_seg) segs;
	uint64_t	 refused;
	struct rsm_ratelimit refused_log;	/* a line per 100 ms */
	struct rsm_ratelimit absent_log;	/* a line per 10 s */
};

/* The service's state (NULL before start and after stop). */
static inline struct vserv *
verbs_vs(const struct rsmd *rs)
{
	return (struct vserv *)rs->svc_state[RSM_XPORT_VERBS];
}

/* The import a connection serves, or NULL once revoked. */
static inline struct reg_import *
vs_conn_import(const struct vs_conn *k)
{
	return k->cc.cap != NULL ? k->cc.cap->im : NULL;
}

/* verbs_listen.c */
/* Open the event channel the listeners share. */
int	 vs_listen_init(struct rsmd *, struct vserv *);
/*
 * Serve the device of address sa (text names it in logs): a listener on
 * it and the device resources it serves, as vs->srv[vs->nsrv++]; 0, or
 * -1 (logged) with nothing left open.
 */
int	 vs_listen_start(struct rsmd *, struct vserv *,
	    const struct sockaddr_storage *sa, const char *text);
/* Close what vs_listen_init and vs_listen_start opened (queue pairs gone). */
void	 vs_listen_close(struct rsmd *, struct vserv *);
/* The connection a capability's cap_conn is embedded in. */
struct vs_conn *vs_conn_of(struct cap_conn *);
/* The live connection with this serial, or NULL. */
struct vs_conn *vs_conn_by_serial(struct vserv *, uint64_t serial);
/*
 * Free a queue pair, its window and its receive buffer; disconnect: the
 * importer hears DISCONNECTED first.
 */
void	 vs_conn_free(struct vs_conn *, int disconnect);
/* Retire the completions of every queue pair of a device. */
void	 vs_cq_drain(struct rsmd *, struct vs_dev *);
/* Count and log (rate limited) a refused connection or message. */
void	 vs_refused(struct vserv *, const char *why);

/* verbs_mem.c */
/*
 * The region an import with `perm` reaches segment s through on device
 * vd, registered at first need: RSM_SUCCESS, or an RSMERR_* (logged).
 */
int	 vs_seg_mr(struct vs_dev *vd, struct reg_segment *s, uint32_t perm,
	    struct ibv_mr **mrp);
/* Bind k's window over mr; again: it is bound already (a rebind). */
int	 vs_post_bind(struct vs_conn *k, struct ibv_mr *mr, uint64_t size,
	    int again);
/* Free what segment s holds: its queue pairs (a backstop), its regions. */
void	 vs_seg_release(struct vserv *, struct reg_segment *s);
/* s has new memory: move the windows (0), or -1 (see service.h). */
int	 vs_seg_rebound(struct rsmd *, struct vserv *, struct reg_segment *s);

#endif /* RSMD_SERVE_VERBS_H */
