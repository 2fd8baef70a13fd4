/*
 * transport.h - the one table every data transport fills in.
 *
 * librsm talks to a transport only through struct rsm_transport_ops; the
 * table is chosen by controller type (a row of rsm_ctlr_types, matched by
 * its RSM_XPORT_* value).  What a type means to the library (fd or
 * capability, eager connect, mappable) is that row's flags, not a branch
 * here.  A transport never touches the daemon registry and librsm never
 * calls a transport's internals: the put/get hot path costs one indirect
 * call through this table.
 *
 * Every op returns RSM_SUCCESS or an RSMERR_* value.
 */
#ifndef RSM_TRANSPORT_H
#define RSM_TRANSPORT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rsm_ctlr.h"
#include "rsm_proto.h"

/* One imported segment as a transport sees it. */
struct rsm_xport_seg {
	char	*base;		/* data path to the whole segment (shm: mapping) */
	size_t	 size;		/* segment size, bytes */
	int	 prot;		/* PROT_* the data path was opened with */
	void	*priv;		/* the transport's own state (tcp: connection) */
};

/*
 * Where a segment's data path starts: the descriptor the daemon handed
 * over (shm: the memfd), or a capability (tcp: a data server's address
 * and port and a token, all a remote importer needs).
 */
struct rsm_xport_target {
	const char	*ctlr;		/* the controller's name (verbsN: device N) */
	int		 fd;		/* -1: none */
	const struct rsm_wire_cap *cap;	/* NULL: none */
	size_t		 size;		/* segment size, bytes */
	int		 prot;		/* PROT_* wanted */
	uint32_t	 perm;		/* RSM_PERM_* granted */
	/*
	 * Non-zero once the caller no longer wants the connection (the
	 * import was revoked or is being disconnected): a connect that
	 * waits on the network checks it and gives up. NULL: never.
	 */
	const _Atomic int *cancel;
};

/* One registered local memory range (local memory handles). */
struct rsm_xport_mem {
	char	*vaddr;
	size_t	 len;
};

/* One scatter/gather element already validated by the library. */
struct rsm_xport_iov {
	char	*local;		/* local buffer */
	size_t	 remote_off;	/* offset inside the segment */
	size_t	 len;
};

/*
 * One masked entry (the putm slot): of the span [remote_off, remote_off +
 * len) exactly the bytes whose bit is set in mask are written, bit i % 8
 * of mask[i / 8] (least significant first) for byte i, taken from
 * local[i]; the bytes of the others are never written.  Bits past len are
 * 0, and len is 1..RSM_MPUT_SPAN_MAX.
 */
struct rsm_xport_mput {
	const char	*local;
	const uint8_t	*mask;		/* (len + 7) / 8 bytes */
	size_t		 remote_off;
	size_t		 len;
};

/* The longest span of a masked entry: a page of any size Linux has. */
#define RSM_MPUT_SPAN_MAX	(64u << 10)

/* How a transport posts a signal over the node's control channel. */
typedef int (*rsm_xport_post_fn)(void *arg, uint32_t flags);

/*
 * The atomic slot's operations (rsm/rsm_atomic.h): on the aligned word of
 * `width` bytes (4 or 8) at `off`, `*old` = its value before, and
 *   FADD: word += operand (modulo 2^width*8)
 *   CAS:  word = operand if word == compare
 *   SWAP: word = operand
 * Values of a 4-byte word travel in the low 32 bits.  The library has
 * checked the handle, rights (read and write), alignment and bounds.
 */
#define RSM_AOP_FADD	1u
#define RSM_AOP_CAS	2u
#define RSM_AOP_SWAP	3u

/*
 * Slots are in a fixed order; dummy.c fills them positionally so that a
 * missing slot in any table breaks the build.
 */
struct rsm_transport_ops {
	const char *name;
	/* The RSM_XPORT_* of the controller type it serves; 0: none. */
	uint32_t xport;
	/*
	 * Open the data path to a segment (shm: map the memfd; tcp: connect)
	 * and record it in seg (rsm_xport_seg_open).
	 */
	int	(*connect)(struct rsm_xport_seg *seg,
		    const struct rsm_xport_target *target);
	/* Let go of it; the library forgets seg afterwards. */
	int	(*disconnect)(struct rsm_xport_seg *seg);
	/* Order: writes before the fence complete before writes after it. */
	int	(*fence)(struct rsm_xport_seg *seg);
	/* Completion: every access issued so far has reached the segment. */
	int	(*flush)(struct rsm_xport_seg *seg);
	int	(*get)(struct rsm_xport_seg *seg, size_t off, void *dst,
		    size_t len);
	/* Vector ops stop at the first failure; *done counts finished entries. */
	int	(*getv)(struct rsm_xport_seg *seg,
		    const struct rsm_xport_iov *iov, size_t n, size_t *done);
	int	(*put)(struct rsm_xport_seg *seg, size_t off, const void *src,
		    size_t len);
	int	(*putv)(struct rsm_xport_seg *seg,
		    const struct rsm_xport_iov *iov, size_t n, size_t *done);
	int	(*register_mem)(struct rsm_xport_mem *mem, void *vaddr,
		    size_t len);
	int	(*deregister_mem)(struct rsm_xport_mem *mem);
	/* Ring the segment's peer; post() is the control-channel fallback. */
	int	(*signal)(struct rsm_xport_seg *seg, uint32_t flags,
		    rsm_xport_post_fn post, void *arg);
	/*
	 * The connection was revoked: make calls blocked on the data path
	 * (and later ones) fail at once, from any thread, without freeing
	 * anything (disconnect still does that).  NULL: nothing can block.
	 */
	void	(*abort)(struct rsm_xport_seg *seg);
	/*
	 * One atomic operation (RSM_AOP_*, see above), done and its
	 * old value known when it returns.  Atomic with respect to every
	 * importer's atomics on the word through the same kind of data
	 * path, and with CPU atomics on the memfd where the transport ends
	 * in them (shm, tcp's data server; verbs only on IBV_ATOMIC_GLOB
	 * devices): say which on the man page.  Earlier puts of this
	 * import reach the segment before it (as for fence).
	 * RSMERR_UNSUPPORTED_OPERATION: not here (or not on this device).
	 */
	int	(*atomic)(struct rsm_xport_seg *seg, size_t off, unsigned op,
		    unsigned width, uint64_t operand, uint64_t compare,
		    uint64_t *old);
	/*
	 * put(off, src, len), then a signal to the exporter that is seen
	 * only once those bytes (and every earlier put of this import) are
	 * visible in the segment; signals of one import arrive in the
	 * order they were posted.  Returns once the put is complete and
	 * the signal posted (its errors first).  post() is the control-
	 * channel path, as for signal.
	 */
	int	(*put_signal)(struct rsm_xport_seg *seg, size_t off,
		    const void *src, size_t len, uint32_t flags,
		    rsm_xport_post_fn post, void *arg);
	/*
	 * The most entries one putv or getv takes; 0 means
	 * RSM_MAX_SGIOREQS, the RSMAPI's own limit, which every transport
	 * takes.  A remote map's write-back sends thousands of small runs
	 * (rmap.c), so a transport that frames any number says so.
	 */
	size_t	 vec_max;
	/*
	 * Masked puts (struct rsm_xport_mput), as putv otherwise: stops at
	 * the first failure, *done counts finished entries.  A remote map's
	 * write-back sends a page whose changed bytes are scattered as one
	 * entry rather than hundreds of runs.  n == 0 asks, sending
	 * nothing, whether this connection takes them: RSM_SUCCESS, or
	 * RSMERR_UNSUPPORTED_OPERATION (tcp: a data server older than
	 * them), and then putv it is.  NULL: never (putv).
	 */
	int	(*putm)(struct rsm_xport_seg *seg,
		    const struct rsm_xport_mput *m, size_t n, size_t *done);
};

extern const struct rsm_transport_ops rsm_shm_ops;
/* The shm data path under the loopback type's RSM_XPORT_* value. */
extern const struct rsm_transport_ops rsm_loopback_ops;
extern const struct rsm_transport_ops rsm_tcp_ops;
extern const struct rsm_transport_ops rsm_dummy_ops;
/* Built only with the RDMA headers (HAVE_VERBS); libraries load at run time. */
extern const struct rsm_transport_ops rsm_verbs_ops;
/* Built only with the UCX headers (HAVE_UCX); libucp loads at run time. */
extern const struct rsm_transport_ops rsm_ucx_ops;

/*
 * The ops of a controller type (rsm_ctlr_parse() of its name): the built-in
 * table whose xport is the type's.  A type of the table whose transport
 * this library was built without gets rsm_dummy_ops, so its data path
 * answers RSMERR_UNSUPPORTED_OPERATION; NULL only for a NULL type.
 */
const struct rsm_transport_ops *
	rsm_transport_lookup(const struct rsm_ctlr_type *type);

/*
 * Shared slots for transports whose local buffers need no pinning (the
 * data path reads and writes them with plain copies or socket calls):
 * register_mem only checks and records the range, deregister_mem forgets
 * it.  And for transports whose signals travel over the node daemon's
 * control channel: signal hands the post to `post`.
 */
int	rsm_xport_register_plain(struct rsm_xport_mem *mem, void *vaddr,
	    size_t len);
/*
 * A data path is open: record it in seg (connect's last step).  Closed:
 * forget it (the library, after the transport's disconnect).
 */
void	rsm_xport_seg_open(struct rsm_xport_seg *seg, char *base, size_t size,
	    int prot, void *priv);
void	rsm_xport_seg_reset(struct rsm_xport_seg *seg);
int	rsm_xport_deregister_plain(struct rsm_xport_mem *mem);
int	rsm_xport_signal_via_daemon(struct rsm_xport_seg *seg,
	    uint32_t flags, rsm_xport_post_fn post, void *arg);
/* An atomic slot for a transport that has none (dummy.c). */
int	rsm_xport_atomic_unsupported(struct rsm_xport_seg *seg, size_t off,
	    unsigned op, unsigned width, uint64_t operand, uint64_t compare,
	    uint64_t *old);

#endif /* RSM_TRANSPORT_H */
