/*
 * fuzz_msg.c - libFuzzer target for the control-message decoder
 * rsm_msg_check().  The first input byte chooses the direction and the
 * number of descriptors said to have arrived; the rest is the packet,
 * copied into a buffer of its exact size.  An accepted packet's payload is
 * read the way the daemon or the library reads it (counted lists to their
 * count, names as strings), so anything the checks let through that would
 * read out of bounds is an ASan report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rsm_proto.h"
#include "rsm_admin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sink;

static void
use_msg(const uint8_t *b, size_t n, int from_daemon)
{
	const uint8_t *p = b + sizeof(struct rsm_msg_hdr);
	size_t plen = n - sizeof(struct rsm_msg_hdr);
	struct rsm_msg_hdr h;
	uint32_t i;

	memcpy(&h, b, sizeof(h));
	sink += h.id + strlen(rsm_msg_name(h.type));
	if (!from_daemon && (h.type == RSM_MSG_PUBLISH ||
	    h.type == RSM_MSG_REPUBLISH)) {
		struct rsm_msg_publish pub;

		memcpy(&pub, p, sizeof(pub));
		for (i = 0; i < pub.acl_len; i++) {
			struct rsm_wire_ace ace;

			memcpy(&ace, p + sizeof(pub) + i * sizeof(ace),
			    sizeof(ace));
			sink += ace.node + ace.perm;
		}
	} else if (!from_daemon && h.type == RSM_MSG_DSEG_CREATE) {
		struct rsm_msg_dseg_create dc;

		memcpy(&dc, p, sizeof(dc));
		for (i = 0; i < dc.acl_len; i++) {
			struct rsm_wire_ace ace;

			memcpy(&ace, p + sizeof(dc) + i * sizeof(ace),
			    sizeof(ace));
			sink += ace.node + ace.perm;
		}
	} else if (!from_daemon && h.type == RSM_MSG_DSEG_WRITE) {
		struct rsm_msg_dseg_io io;

		/* The daemon copies len bytes from after the fixed part. */
		memcpy(&io, p, sizeof(io));
		for (i = 0; i < io.len; i++)
			sink += p[sizeof(io) + i];
	} else if (from_daemon && h.status == 0 &&
	    h.type == RSM_MSG_DSEG_READ) {
		struct rsm_msg_dseg_data d;

		memcpy(&d, p, sizeof(d));
		for (i = 0; i < d.len; i++)
			sink += p[sizeof(d) + i];
	} else if (!from_daemon && h.type == RSM_MSG_CTLR_QUERY)
		sink += strlen((const char *)p);
	else if (from_daemon && h.status == 0 && (h.type == RSM_MSG_NODES))
		sink += strlen((const char *)p +
		    offsetof(struct rsm_msg_nodeinfo, addr));
	else if (from_daemon && h.status == 0 && h.type == RSM_MSG_STATS) {
		struct rsm_msg_stats st;

		/* What rsmadm relies on once the check passed. */
		memcpy(&st, p, sizeof(st));
		if ((st.kind == RSM_STATS_END) == ((h.flags & RSM_MSGF_MORE) !=
		    0) || st.rtt_samples > RSM_STATS_RTT_WINDOW ||
		    st.rtt_p50_us > st.rtt_max_us)
			abort();
		for (i = 0; i < RSM_STATS_ERRS; i++)
			if ((st.err[i].code == 0) != (st.err[i].count == 0))
				abort();
	} else if (!from_daemon && h.type == RSM_MSG_ADMIN_REMOTE) {
		struct rsm_msg_admin_remote q;
		struct rsm_msg_stats_req sq;

		/*
		 * What rsmd forwards: an allowed type's payload of exactly
		 * its size (and a STATS one that passes as STATS), nothing
		 * after any other type.
		 */
		memcpy(&q, p, sizeof(q));
		if (!rsm_admin_remote_allowed(q.type)) {
			if (plen != sizeof(q))
				abort();
		} else {
			if ((ssize_t)(plen - sizeof(q)) !=
			    rsm_msg_req_size((uint16_t)q.type) ||
			    plen - sizeof(q) > RSM_ADM_ARG_MAX)
				abort();
			if (q.type == RSM_MSG_STATS) {
				memcpy(&sq, p + sizeof(q), sizeof(sq));
				if ((sq.flags & ~RSM_STATSF_ALL) != 0)
					abort();
			}
		}
	} else if (from_daemon && h.type == RSM_MSG_MON_EVENT) {
		struct rsm_msg_mon_event ev;

		memcpy(&ev, p, sizeof(ev));
		if (ev.kind == 0 || ev.kind > RSM_MON_KIND_MAX)
			abort();
	}
	for (i = 0; i < plen; i++)
		sink += p[i];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int from_daemon, nfds;
	uint8_t *copy;

	if (size < 1)
		return 0;
	from_daemon = data[0] & 1;
	nfds = (data[0] >> 1) % 3;
	size--;
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size);
	if (rsm_msg_check(copy, size, nfds, from_daemon) == 0) {
		if (size < sizeof(struct rsm_msg_hdr) || size > RSM_MSG_MAX)
			abort();
		use_msg(copy, size, from_daemon);
	}
	free(copy);
	return 0;
}
