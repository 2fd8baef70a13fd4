/*
 * rsm_admin.h - asking another node's rsmd what its own rsmadm would ask
 * ("rsmadm -n NODE COMMAND"): the control message ADMIN_REMOTE's
 * payloads and the bodies of the peer call that carries it on.
 *
 * rsmadm talks only to its local rsmd.  It wraps a request in
 * ADMIN_REMOTE (struct rsm_msg_admin_remote: the node and the request
 * type); the local rsmd asks the node through the peer link with
 * RSM_PEER_INNER_ADMIN calls, and relays the node's answer as a stream
 * of ADMIN_REMOTE replies, each a struct rsm_msg_admin_reply followed by
 * one reply payload of the wrapped type, exactly as the node would have
 * sent it to a local rsmadm (all but the last flagged RSM_MSGF_MORE).
 *
 * Only the read-only requests of RSM_ADMIN_REMOTE_TYPES may be asked;
 * rsmadm, the local rsmd and the asked node each refuse every other type
 * (the asked node never trusts the asker's check).  A request that takes
 * a payload (STATS: which segment) carries it, its "argument", after
 * struct rsm_msg_admin_remote and in the first peer call, and every hop
 * checks it as a request of its type before it goes further
 * (rsm_admin_arg_check()).
 *
 * On the peer link one call carries one page.  The asked node runs the
 * request once and keeps the whole answer, its "snapshot", while the
 * asker fetches the pages after the first, so a list longer than a frame
 * is still one snapshot, as locally.  A stream that fits one page keeps
 * nothing.  A page is an rsm_adm_page header then nparts parts, each a
 * 32-bit length and that many bytes of one reply payload.  The payloads
 * are the structs of rsm_proto.h as they lie in memory; the page says in
 * which byte order, and a node of the other order is refused.
 *
 * Every integer outside the parts is little-endian, every body has an
 * exact size, and a decoder returns -1 for any body that is not exactly
 * right.
 */
#ifndef RSM_ADMIN_H
#define RSM_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "rsm_proto.h"
#include "rsm_peer.h"

/* Inner type of the peer call (struct rsm_peer_request). */
#define RSM_PEER_INNER_ADMIN	0x200u

/*
 * The requests another node may be asked, each a row: read-only, a
 * request payload of at most RSM_ADM_ARG_MAX bytes and no descriptor
 * either way, served by the same handler as a local one.
 */
#define RSM_ADMIN_REMOTE_TYPES(X) \
	X(STATUS) \
	X(LIST_SEGMENTS) \
	X(LIST_CTLRS) \
	X(NODES) \
	X(STATS)

/* Whether a request type may be asked of another node. */
int	 rsm_admin_remote_allowed(uint32_t type);
/*
 * Whether len bytes at arg are a request payload of allowed type `type`
 * that its rsm_msg_check() accepts (exact size, known flags, ...): 0, or
 * the RSM_MSGCHK_* of the first fault.
 */
int	 rsm_admin_arg_check(uint32_t type, const void *arg, size_t len);

/* Parts one remote answer may have, and their bytes, at most. */
#define RSM_ADMIN_PARTS_MAX	65536u
#define RSM_ADMIN_STREAM_MAX	(8u << 20)
#define RSM_ADM_REQ_LEN		16u
/* The largest argument a row may take, and what precedes it in a call. */
#define RSM_ADM_ARG_MAX		64u
#define RSM_ADM_ARG_HDR		8u
/* A call's body: the request alone, or with an argument. */
#define RSM_ADM_REQ_MAX		(RSM_ADM_REQ_LEN + RSM_ADM_ARG_HDR + \
				    RSM_ADM_ARG_MAX)
#define RSM_ADM_PAGE_HDR	40u
/*
 * One part: a reply payload that fits a page alone (and so a packet
 * inside its wrapper, rsm_admin.c).
 */
#define RSM_ADMIN_PART_MAX	(RSM_PEER_BODY_MAX - RSM_ADM_PAGE_HDR - 4u)

/* What a page says of its parts' byte order: this, in host order. */
#define RSM_ADMIN_ORDER		0x01020304u

/*
 * Peer call: the request type, which page of which snapshot, and with
 * the first page of a request that takes one its argument.  The body is
 * RSM_ADM_REQ_LEN bytes without an argument (as before arguments were
 * carried), else those, the order field (RSM_ADMIN_ORDER in the
 * sender's order: the argument is a struct of rsm_proto.h as it lies in
 * the sender's memory), the argument's length (1..RSM_ADM_ARG_MAX) and
 * the argument.  A later page carries none: its snapshot was taken with
 * it.  Whether the argument is the type's is for the asked node to judge
 * (rsm_admin_arg_check()).
 */
struct rsm_adm_req {
	uint32_t type;		/* one of RSM_ADMIN_REMOTE_TYPES */
	uint32_t first;		/* the first part wanted: 0 starts anew */
	uint64_t snap;		/* 0 with first 0; else the page's snap */
	uint32_t order;		/* with an argument; decoded, not judged */
	uint32_t arglen;	/* 0: none */
	uint8_t	 arg[RSM_ADM_ARG_MAX];
};

/* Peer reply: a page of the answer. */
struct rsm_adm_page {
	uint32_t type;		/* as asked */
	uint32_t order;		/* RSM_ADMIN_ORDER, in the sender's order */
	uint32_t first;		/* as asked */
	uint32_t nparts;	/* in this page, at least 1 */
	uint32_t total;		/* in the whole answer, at most PARTS_MAX */
	uint32_t pad;		/* zero */
	uint64_t snap;		/* 0: the whole answer is this page */
	uint64_t instance;	/* the answering daemon's (rsm_msg_hello_reply) */
	/* Decoded: where each part lies inside the body. */
	const uint8_t *part[RSM_PEER_BODY_MAX / 4];
	uint32_t plen[RSM_PEER_BODY_MAX / 4];
};

/* The body into out (RSM_ADM_REQ_MAX bytes); its length. */
size_t	 rsm_adm_req_enc(void *out, const struct rsm_adm_req *);
int	 rsm_adm_req_dec(const void *in, size_t len, struct rsm_adm_req *);
/*
 * A page is built in place: rsm_adm_page_start() writes the header
 * (nparts 0) into out (RSM_PEER_BODY_MAX bytes), rsm_adm_page_add()
 * appends a part and returns 0, or -1 when it does not fit (the page
 * is then complete), and the body length is *used.
 */
void	 rsm_adm_page_start(void *out, size_t *used,
	    const struct rsm_adm_page *);
int	 rsm_adm_page_add(void *out, size_t *used, const void *part,
	    size_t len);
/*
 * Check a page: header fields in range (type allowed, nparts >= 1,
 * first + nparts <= total, snap 0 only for a whole answer, pad zero),
 * every part at most RSM_ADMIN_PART_MAX and the parts exactly filling
 * the body.  The order field is decoded, not judged.
 */
int	 rsm_adm_page_dec(const void *in, size_t len, struct rsm_adm_page *);

#endif /* RSM_ADMIN_H */
