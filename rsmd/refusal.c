/*
 * refusal.c - the reason, in words, for a refusal by the registry.
 *
 * The registry answers a request with an RSMERR code and no I/O, and one
 * code covers several causes (INSUFFICIENT_RESOURCES is the node's limit
 * or the user's quota).  The handlers that log the refusal call these to
 * say which: each reads, after the fact, the same state the registry
 * decided on (a refusal changes none of it) and follows the registry's
 * order of checks.  They only describe; the decision stays the
 * registry's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "rsmapi.h"
#include "rsmd.h"

const char *
refusal_perm(uint32_t perm)
{
	switch (perm) {
	case RSM_PERM_READ:
		return "read";
	case RSM_PERM_WRITE:
		return "write";
	case RSM_PERM_RDWR:
		return "read and write";
	default:
		return "no valid permission";
	}
}

const char *
refusal_export_why(const struct registry *reg, const struct reg_owner *o,
    uint64_t size, uint32_t flags, int rc, char *buf, size_t len)
{
	const struct reg_limits *lim = &reg->lim;
	const struct reg_usage *u = reg_usage_of(reg, o->uid);
	uint64_t bytes = u != NULL ? u->bytes : 0;

	switch (rc) {
	case RSMERR_LOCKS_NOT_SUPPORTED:
		snprintf(buf, len, "lock operations are not supported");
		break;
	case RSMERR_BAD_MODE:
		snprintf(buf, len, "unknown flags %#x", flags &
		    ~(uint32_t)(RSM_ALLOW_REBIND | RSM_CREATE_SEG_DONTWAIT));
		break;
	case RSMERR_BAD_LENGTH:
		if (size == 0 || size % lim->page_size != 0)
			snprintf(buf, len, "size %" PRIu64 " is not a "
			    "positive multiple of the page size %" PRIu64,
			    size, lim->page_size);
		else if (size > lim->max_segment_size)
			snprintf(buf, len, "size %" PRIu64 " is above "
			    "max_segment_size %" PRIu64, size,
			    lim->max_segment_size);
		else
			snprintf(buf, len, "the memory file is shorter than "
			    "%" PRIu64 " bytes", size);
		break;
	case RSMERR_BAD_ADDR:
		snprintf(buf, len, "no memory file came with the request");
		break;
	case RSMERR_CTLR_NOT_PRESENT:
		snprintf(buf, len, "its controller is not present on this "
		    "node");
		break;
	case RSMERR_INSUFFICIENT_RESOURCES:
		if (reg->nsegments >= lim->max_segments)
			snprintf(buf, len, "the node holds max_segments "
			    "(%" PRIu64 ") segments", lim->max_segments);
		else
			snprintf(buf, len, "uid %u holds quota_segments "
			    "(%" PRIu64 ") segments", (unsigned)o->uid,
			    lim->quota_segments);
		break;
	case RSMERR_INSUFFICIENT_MEM:
		if (lim->quota_bytes && (bytes > lim->quota_bytes ||
		    size > lim->quota_bytes - bytes))
			snprintf(buf, len, "uid %u holds %" PRIu64 " bytes; "
			    "%" PRIu64 " more is above quota_bytes %" PRIu64,
			    (unsigned)o->uid, bytes, size, lim->quota_bytes);
		else
			snprintf(buf, len, "out of memory");
		break;
	default:
		snprintf(buf, len, "%s", "refused");
		break;
	}
	return buf;
}

/* The first entry reg_acl_check() objects to, in words. */
static void
acl_words(const struct registry *reg, const struct reg_segment *s,
    const struct rsm_wire_ace *acl, uint32_t n, char *buf, size_t len)
{
	uint32_t i;

	if (n > RSM_ACL_MAX) {
		snprintf(buf, len, "access list of %u entries (at most %u)",
		    n, RSM_ACL_MAX);
		return;
	}
	for (i = 0; i < n; i++) {
		if (acl[i].node > RSM_NODE_ID_MAX) {
			snprintf(buf, len, "access list entry %u names node "
			    "%u (at most %u)", i, acl[i].node,
			    RSM_NODE_ID_MAX);
			return;
		}
		if (acl[i].perm > RSMD_ACL_PERM_MAX) {
			snprintf(buf, len, "access list entry %u has mode "
			    "%#o (at most %#o)", i, acl[i].perm,
			    RSMD_ACL_PERM_MAX);
			return;
		}
	}
	if (s->this_node_only)
		snprintf(buf, len, "a loopback segment's access list may name "
		    "only node %u", reg->lim.node_id);
	else
		snprintf(buf, len, "bad access list");
}

const char *
refusal_publish_why(const struct registry *reg, const struct reg_segment *s,
    uint32_t segid, const struct rsm_wire_ace *acl, uint32_t n, int rc,
    char *buf, size_t len)
{
	const struct reg_limits *lim = &reg->lim;

	switch (rc) {
	case RSMERR_BAD_SEG_HNDL:
		snprintf(buf, len, "not a segment of this client");
		break;
	case RSMERR_SEG_ALREADY_PUBLISHED:
		snprintf(buf, len, "already published as segment %#x",
		    s->segid);
		break;
	case RSMERR_SEG_NOT_PUBLISHED:
		snprintf(buf, len, "not published");
		break;
	case RSMERR_BAD_ACL:
		acl_words(reg, s, acl, n, buf, len);
		break;
	case RSMERR_INSUFFICIENT_RESOURCES:
		snprintf(buf, len, "no automatic segment id left");
		break;
	case RSMERR_SEGID_IN_USE:
		snprintf(buf, len, "segment id %#x is published already",
		    segid != 0 ? segid : reg->next_segid);
		break;
	case RSMERR_RESERVED_SEGID:
		if (segid <= RSMD_RESERVED_SEGID_END)
			snprintf(buf, len, "segment id %#x is reserved "
			    "(at most %#x)", segid, RSMD_RESERVED_SEGID_END);
		else if (segid >= RSMD_AUTO_SEGID_BASE)
			snprintf(buf, len, "segment id %#x is in the "
			    "automatic range (from %#x)", segid,
			    RSMD_AUTO_SEGID_BASE);
		else
			snprintf(buf, len, "segment id %#x is outside "
			    "segid_min..segid_max (%#x..%#x)", segid,
			    lim->segid_min, lim->segid_max);
		break;
	default:
		snprintf(buf, len, "%s", "refused");
		break;
	}
	return buf;
}

const char *
refusal_import_why(const struct registry *reg, const struct reg_owner *o,
    uint32_t from, uint32_t segid, uint32_t perm, int rc, char *buf,
    size_t len)
{
	const struct reg_segment *s = reg_segment_by_segid(reg, segid);
	const struct reg_usage *u;
	uint32_t mode, i;

	switch (rc) {
	case RSMERR_PERM_DENIED:
		if (perm != RSM_PERM_READ && perm != RSM_PERM_WRITE &&
		    perm != RSM_PERM_RDWR) {
			snprintf(buf, len, "asked for permissions %#o", perm);
			break;
		}
		if (s == NULL) {
			snprintf(buf, len, "permission denied");
			break;
		}
		mode = s->mode;
		for (i = 0; i < s->acl_len; i++)
			if (s->acl[i].node == from) {
				mode = s->acl[i].perm;
				break;
			}
		snprintf(buf, len, "mode %04o for node %u (owner uid %u gid "
		    "%u) does not let uid %u gid %u %s", mode, from,
		    (unsigned)s->uid, (unsigned)s->gid, (unsigned)o->uid,
		    (unsigned)o->gid, refusal_perm(perm));
		break;
	case RSMERR_SEG_NOT_PUBLISHED:
		snprintf(buf, len, "no segment is published with that id");
		break;
	case RSMERR_SEG_NOT_PUBLISHED_TO_NODE:
		if (s != NULL && s->this_node_only &&
		    from != reg->lim.node_id)
			snprintf(buf, len, "a loopback segment is reachable "
			    "from node %u alone", reg->lim.node_id);
		else
			snprintf(buf, len, "its access list does not name "
			    "node %u", from);
		break;
	case RSMERR_REMOTE_NODE_UNREACHABLE:
		snprintf(buf, len, "node %u cannot be reached", from);
		break;
	case RSMERR_INSUFFICIENT_RESOURCES:
		u = reg_usage_of(reg, o->uid);
		if (reg->lim.quota_imports && u != NULL &&
		    u->imports >= reg->lim.quota_imports)
			snprintf(buf, len, "uid %u holds quota_imports "
			    "(%" PRIu64 ") imports", (unsigned)o->uid,
			    reg->lim.quota_imports);
		else
			snprintf(buf, len, "out of resources");
		break;
	case RSMERR_INSUFFICIENT_MEM:
		snprintf(buf, len, "out of memory");
		break;
	default:
		snprintf(buf, len, "%s", "refused");
		break;
	}
	return buf;
}

int
refusal_level(int rc)
{
	switch (rc) {
	case RSMERR_PERM_DENIED:
	case RSMERR_SEG_NOT_PUBLISHED:
	case RSMERR_SEG_NOT_PUBLISHED_TO_NODE:
	case RSMERR_SEG_ALREADY_PUBLISHED:
	case RSMERR_SEGID_IN_USE:
	case RSMERR_RESERVED_SEGID:
	case RSMERR_REBIND_NOT_ALLOWED:
	case RSMERR_INSUFFICIENT_RESOURCES:
	case RSMERR_INSUFFICIENT_MEM:
	case RSMERR_CTLR_NOT_PRESENT:
	case RSMERR_REMOTE_NODE_UNREACHABLE:
	case RSMERR_BAD_LIBRARY_VERSION:
		return RSMD_LOG_INFO;
	default:
		return RSMD_LOG_WARN;
	}
}
