/*
 * fuzz_remote.c - libFuzzer target for the remote import bodies
 * (proto/rsm_remote.h) and the remote admin ones (proto/rsm_admin.h),
 * which rsmd decodes from the REQUEST and REPLY frames of a peer daemon.  The first input byte picks the decoder, the
 * rest is the body, copied into a buffer of its own exact size so reading
 * one byte past it is an ASan report.  Whatever a decoder accepts must
 * hold the invariants the daemon relies on, and must encode back to the
 * very same bytes (the wire has no second spelling of any value: an
 * accepted body with stray bits would be a check that is missing).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsm_peer.h"
#include "rsm_remote.h"
#include "rsm_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t enc[RSM_PEER_BODY_MAX];
static volatile uint64_t sink;

/* The accepted body re-encoded must be the input itself. */
static void
same_bytes(const uint8_t *body, size_t len, size_t elen)
{
	if (elen != len || memcmp(enc, body, len) != 0)
		abort();
}

/*
 * A page the asking rsmd accepted: every part inside the body and within
 * its bound, the counts consistent, and built again part by part it is
 * the same bytes.
 */
static void
admin_page(const uint8_t *body, size_t len)
{
	static struct rsm_adm_page pg;
	size_t used;
	uint32_t i, order;

	if (rsm_adm_page_dec(body, len, &pg) != 0)
		return;
	if (!rsm_admin_remote_allowed(pg.type) || pg.nparts == 0 ||
	    pg.total > RSM_ADMIN_PARTS_MAX || pg.first > pg.total ||
	    pg.nparts > pg.total - pg.first ||
	    (pg.snap == 0 && pg.nparts != pg.total))
		abort();
	memcpy(&order, body + 4, 4);
	for (i = 0; i < pg.nparts; i++)
		if (pg.plen[i] > RSM_ADMIN_PART_MAX || pg.part[i] < body ||
		    pg.part[i] + pg.plen[i] > body + len)
			abort();
	rsm_adm_page_start(enc, &used, &pg);
	memcpy(enc + 4, &order, 4);
	for (i = 0; i < pg.nparts; i++)
		if (rsm_adm_page_add(enc, &used, pg.part[i], pg.plen[i]) != 0)
			abort();
	same_bytes(body, len, used);
}

static void
one(uint8_t which, const uint8_t *body, size_t len)
{
	static struct rsm_rmt_connect c;
	struct rsm_rmt_connect_reply r;
	struct rsm_rmt_revoked rv;
	struct rsm_rmt_signal sg;
	struct rsm_rmt_unreachable un;
	struct rsm_adm_req aq;
	uint64_t h;

	switch (which % 8) {
	case 0:
		if (rsm_rmt_connect_dec(body, len, &c) != 0)
			return;
		if (c.ngroups > RSM_RMT_GROUPS_MAX ||
		    len != RSM_RMT_CONNECT_FIXED + 4 * (size_t)c.ngroups)
			abort();
		same_bytes(body, len, rsm_rmt_connect_enc(enc, &c));
		break;
	case 1:
		if (rsm_rmt_connect_reply_dec(body, len, &r) != 0)
			return;
		if (len != RSM_RMT_CONNECT_REPLY_LEN || r.cap.port == 0 ||
		    (r.cap.family != RSM_CAP_INET &&
		    r.cap.family != RSM_CAP_INET6) ||
		    r.cap.nmore > RSM_CAP_ADDRS_MAX - 1 ||
		    (r.cap.kind == RSM_CAPK_TCP && r.cap.nmore != 0))
			abort();
		for (size_t i = 0; i < r.cap.nmore; i++)
			if (r.cap.more[i].port == 0 ||
			    (r.cap.more[i].family != RSM_CAP_INET &&
			    r.cap.more[i].family != RSM_CAP_INET6))
				abort();
		same_bytes(body, len, rsm_rmt_connect_reply_enc(enc, &r));
		break;
	case 2:
		if (rsm_rmt_handle_dec(body, len, &h) != 0)
			return;
		same_bytes(body, len, rsm_rmt_handle_enc(enc, h));
		break;
	case 3:
		if (rsm_rmt_revoked_dec(body, len, &rv) != 0)
			return;
		same_bytes(body, len, rsm_rmt_revoked_enc(enc, &rv));
		break;
	case 4:
		if (rsm_rmt_unreachable_dec(body, len, &un) != 0)
			return;
		if (un.port == 0 || (un.family != RSM_CAP_INET &&
		    un.family != RSM_CAP_INET6))
			abort();
		same_bytes(body, len, rsm_rmt_unreachable_enc(enc, &un));
		break;
	case 5:
		if (rsm_rmt_signal_dec(body, len, &sg) != 0)
			return;
		same_bytes(body, len, rsm_rmt_signal_enc(enc, &sg));
		break;
	case 6:
		/* The type is judged by the server, the rest here. */
		if (rsm_adm_req_dec(body, len, &aq) != 0)
			return;
		if ((aq.first == 0) != (aq.snap == 0) ||
		    aq.first >= RSM_ADMIN_PARTS_MAX ||
		    aq.arglen > RSM_ADM_ARG_MAX ||
		    (aq.arglen == 0) != (len == RSM_ADM_REQ_LEN) ||
		    (aq.arglen != 0 && aq.first != 0) ||
		    (aq.arglen != 0 && len != RSM_ADM_REQ_LEN +
		    RSM_ADM_ARG_HDR + aq.arglen))
			abort();
		/* The argument is judged as its request's payload. */
		if (aq.arglen != 0)
			sink += (uint64_t)rsm_admin_arg_check(aq.type, aq.arg,
			    aq.arglen);
		{
			size_t elen = rsm_adm_req_enc(enc, &aq);

			/* The order field is the sender's, as it came. */
			if (aq.arglen != 0)
				memcpy(enc + RSM_ADM_REQ_LEN, &aq.order, 4);
			same_bytes(body, len, elen);
		}
		break;
	default:
		admin_page(body, len);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	size_t len;

	if (size < 1)
		return 0;
	len = size - 1;
	/* No peer frame carries a longer body: the daemon never sees one. */
	if (len > RSM_PEER_BODY_MAX)
		return 0;
	/* malloc(0) may return NULL; keep one byte so the copy is real. */
	if ((copy = malloc(len ? len : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, len);
	one(data[0], copy, len);
	free(copy);
	return 0;
}
