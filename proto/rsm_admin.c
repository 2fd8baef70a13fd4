/*
 * rsm_admin.c - the allow-list of requests another node may be asked,
 * and the bodies of the peer calls that ask it (rsm_admin.h).  Decoders
 * accept exactly one size per body and zero padding only.
 */
#include <string.h>

#include "rsm_admin.h"

#define P32(b, o, v)	rsm_peer_put32((uint8_t *)(b) + (o), (v))
#define P64(b, o, v)	rsm_peer_put64((uint8_t *)(b) + (o), (v))
#define G32(b, o)	rsm_peer_get32((const uint8_t *)(b) + (o))
#define G64(b, o)	rsm_peer_get64((const uint8_t *)(b) + (o))

/* A part fits a control packet inside its wrapper. */
_Static_assert(sizeof(struct rsm_msg_hdr) + sizeof(struct rsm_msg_admin_reply)
    + RSM_ADMIN_PART_MAX <= RSM_MSG_MAX, "a wrapped part fits a packet");

int
rsm_admin_remote_allowed(uint32_t type)
{
	switch (type) {
#define RSM_ADMIN_X_CASE(name) case RSM_MSG_##name:
	RSM_ADMIN_REMOTE_TYPES(RSM_ADMIN_X_CASE)
#undef RSM_ADMIN_X_CASE
		/*
		 * No row may take a request payload larger than an
		 * argument, pass a descriptor, or have replies larger than
		 * a part.
		 */
		return rsm_msg_req_size((uint16_t)type) >= 0 &&
		    rsm_msg_req_size((uint16_t)type) <=
		    (ssize_t)RSM_ADM_ARG_MAX &&
		    rsm_msg_wants_fd((uint16_t)type, 0) == 0 &&
		    rsm_msg_wants_fd((uint16_t)type, 1) == 0 &&
		    rsm_msg_reply_size((uint16_t)type) <=
		    (ssize_t)RSM_ADMIN_PART_MAX;
	default:
		return 0;
	}
}

int
rsm_admin_arg_check(uint32_t type, const void *arg, size_t len)
{
	/* The request as it would come from a local client: aligned. */
	union {
		uint64_t align;
		uint8_t b[sizeof(struct rsm_msg_hdr) + RSM_ADM_ARG_MAX];
	} pkt;
	struct rsm_msg_hdr h;

	if (!rsm_admin_remote_allowed(type))
		return RSM_MSGCHK_TYPE;
	if (len > RSM_ADM_ARG_MAX)
		return RSM_MSGCHK_SIZE;
	rsm_msg_hdr_init(&h, (uint16_t)type, 0, 0, 1, len);
	memcpy(pkt.b, &h, sizeof(h));
	if (len)
		memcpy(pkt.b + sizeof(h), arg, len);
	/* Not ADMIN_REMOTE (not allowed): this recurses no further. */
	return rsm_msg_check(pkt.b, sizeof(h) + len, 0, 0);
}

size_t
rsm_adm_req_enc(void *out, const struct rsm_adm_req *m)
{
	uint32_t order = RSM_ADMIN_ORDER;
	uint8_t *b = out;
	size_t n = m->arglen <= RSM_ADM_ARG_MAX ? m->arglen : 0;

	P32(b, 0, m->type);
	P32(b, 4, m->first);
	P64(b, 8, m->snap);
	if (n == 0)
		return RSM_ADM_REQ_LEN;
	memcpy(b + 16, &order, 4);	/* host order, on purpose */
	P32(b, 20, (uint32_t)n);
	memcpy(b + 24, m->arg, n);
	return RSM_ADM_REQ_LEN + RSM_ADM_ARG_HDR + n;
}

int
rsm_adm_req_dec(const void *in, size_t len, struct rsm_adm_req *m)
{
	const uint8_t *b = in;

	if (len < RSM_ADM_REQ_LEN || len > RSM_ADM_REQ_MAX ||
	    (len != RSM_ADM_REQ_LEN &&
	    len <= RSM_ADM_REQ_LEN + RSM_ADM_ARG_HDR))
		return -1;
	m->type = G32(b, 0);
	m->first = G32(b, 4);
	m->snap = G64(b, 8);
	m->order = 0;
	m->arglen = 0;
	/* A page after the first names its snapshot; the first names none. */
	if ((m->first == 0) != (m->snap == 0) ||
	    m->first >= RSM_ADMIN_PARTS_MAX)
		return -1;
	if (len == RSM_ADM_REQ_LEN)
		return 0;
	memcpy(&m->order, b + 16, 4);
	m->arglen = G32(b, 20);
	/*
	 * One spelling: an empty argument is no argument (the short body),
	 * and only a first page carries one.
	 */
	if (m->arglen == 0 || m->arglen != len - RSM_ADM_REQ_LEN -
	    RSM_ADM_ARG_HDR || m->first != 0)
		return -1;
	memcpy(m->arg, b + 24, m->arglen);
	return 0;
}

void
rsm_adm_page_start(void *out, size_t *used, const struct rsm_adm_page *m)
{
	uint32_t order = RSM_ADMIN_ORDER;
	uint8_t *b = out;

	P32(b, 0, m->type);
	memcpy(b + 4, &order, 4);	/* host order, on purpose */
	P32(b, 8, m->first);
	P32(b, 12, 0);
	P32(b, 16, m->total);
	P32(b, 20, 0);
	P64(b, 24, m->snap);
	P64(b, 32, m->instance);
	*used = RSM_ADM_PAGE_HDR;
}

int
rsm_adm_page_add(void *out, size_t *used, const void *part, size_t len)
{
	uint8_t *b = out;

	if (len > RSM_ADMIN_PART_MAX || 4 + len > RSM_PEER_BODY_MAX - *used)
		return -1;
	P32(b, *used, (uint32_t)len);
	if (len)
		memcpy(b + *used + 4, part, len);
	*used += 4 + len;
	P32(b, 12, G32(b, 12) + 1);
	return 0;
}

int
rsm_adm_page_dec(const void *in, size_t len, struct rsm_adm_page *m)
{
	const uint8_t *b = in;
	size_t off = RSM_ADM_PAGE_HDR;
	uint32_t i;

	if (len < RSM_ADM_PAGE_HDR || len > RSM_PEER_BODY_MAX)
		return -1;
	m->type = G32(b, 0);
	memcpy(&m->order, b + 4, 4);
	m->first = G32(b, 8);
	m->nparts = G32(b, 12);
	m->total = G32(b, 16);
	m->pad = G32(b, 20);
	m->snap = G64(b, 24);
	m->instance = G64(b, 32);
	if (!rsm_admin_remote_allowed(m->type) || m->pad != 0 ||
	    m->nparts == 0 || m->nparts > sizeof(m->part) / sizeof(m->part[0]) ||
	    m->total > RSM_ADMIN_PARTS_MAX || m->first > m->total ||
	    m->nparts > m->total - m->first)
		return -1;
	if (m->snap == 0 && (m->first != 0 || m->nparts != m->total))
		return -1;
	for (i = 0; i < m->nparts; i++) {
		uint32_t n;

		if (len - off < 4)
			return -1;
		n = G32(b, off);
		off += 4;
		if (n > RSM_ADMIN_PART_MAX || n > len - off)
			return -1;
		m->part[i] = b + off;
		m->plen[i] = n;
		off += n;
	}
	return off == len ? 0 : -1;
}
