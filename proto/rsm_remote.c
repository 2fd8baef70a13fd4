/*
 * rsm_remote.c - encode and check the bodies of the remote import
 * operations (rsm_remote.h).  Decoders accept exactly one size per body
 * and zero padding only; ranges that need daemon state (handles, rights,
 * reasons) are judged by the daemon.
 */
#include <string.h>

#include "rsm_remote.h"
#include "rsm_peer.h"

#define P32(b, o, v)	rsm_peer_put32((uint8_t *)(b) + (o), (v))
#define P64(b, o, v)	rsm_peer_put64((uint8_t *)(b) + (o), (v))
#define G32(b, o)	rsm_peer_get32((const uint8_t *)(b) + (o))
#define G64(b, o)	rsm_peer_get64((const uint8_t *)(b) + (o))

size_t
rsm_rmt_connect_enc(void *out, const struct rsm_rmt_connect *m)
{
	uint32_t i, n = m->ngroups > RSM_RMT_GROUPS_MAX ? RSM_RMT_GROUPS_MAX :
	    m->ngroups;

	P32(out, 0, m->segid);
	P32(out, 4, m->perm);
	P32(out, 8, m->uid);
	P32(out, 12, m->gid);
	P32(out, 16, m->pid);
	P32(out, 20, n);
	P64(out, 24, m->handle);
	for (i = 0; i < n; i++)
		P32(out, RSM_RMT_CONNECT_FIXED + 4 * i, m->groups[i]);
	return RSM_RMT_CONNECT_FIXED + 4 * (size_t)n;
}

int
rsm_rmt_connect_dec(const void *in, size_t len, struct rsm_rmt_connect *m)
{
	uint32_t i, n;

	if (len < RSM_RMT_CONNECT_FIXED)
		return -1;
	n = G32(in, 20);
	if (n > RSM_RMT_GROUPS_MAX || len != RSM_RMT_CONNECT_FIXED + 4 *
	    (size_t)n)
		return -1;
	m->segid = G32(in, 0);
	m->perm = G32(in, 4);
	m->uid = G32(in, 8);
	m->gid = G32(in, 12);
	m->pid = G32(in, 16);
	m->ngroups = n;
	m->handle = G64(in, 24);
	for (i = 0; i < n; i++)
		m->groups[i] = G32(in, RSM_RMT_CONNECT_FIXED + 4 * i);
	return 0;
}

size_t
rsm_rmt_connect_reply_enc(void *out, const struct rsm_rmt_connect_reply *m)
{
	uint8_t *b = out;
	size_t i, n;

	P64(b, 0, m->handle);
	P64(b, 8, m->size);
	P32(b, 16, m->node_mode);
	P32(b, 20, m->granted);
	P32(b, 24, m->owner_uid);
	P32(b, 28, m->owner_gid);
	/* Token and address are byte strings already; port is host order
	 * inside struct rsm_wire_cap, little-endian here. */
	memcpy(b + 32, m->cap.token, RSM_CAP_TOKEN_LEN);
	memcpy(b + 48, m->cap.addr, sizeof(m->cap.addr));
	P32(b, 64, m->cap.port);
	b[68] = m->cap.family;
	b[69] = m->cap.kind;
	b[70] = 0;
	b[71] = 0;
	P32(b, 72, m->cap.rkey);
	memset(b + 76, 0, RSM_RMT_CONNECT_REPLY_LEN - 76);
	n = m->cap.nmore < RSM_CAP_ADDRS_MAX ? m->cap.nmore :
	    RSM_CAP_ADDRS_MAX - 1;
	b[76] = (uint8_t)n;
	for (i = 0; i < n; i++) {
		uint8_t *e = b + 80 + 20 * i;

		memcpy(e, m->cap.more[i].addr, 16);
		e[16] = (uint8_t)(m->cap.more[i].port & 0xff);
		e[17] = (uint8_t)(m->cap.more[i].port >> 8);
		e[18] = m->cap.more[i].family;
	}
	return RSM_RMT_CONNECT_REPLY_LEN;
}

int
rsm_rmt_connect_reply_dec(const void *in, size_t len,
    struct rsm_rmt_connect_reply *m)
{
	const uint8_t *b = in;
	uint32_t port;
	size_t i, n;

	if (len != RSM_RMT_CONNECT_REPLY_LEN)
		return -1;
	port = G32(b, 64);
	if (port == 0 || port > 65535 ||
	    (b[68] != RSM_CAP_INET && b[68] != RSM_CAP_INET6))
		return -1;
	/* Only a verbs capability carries an rkey. */
	if ((b[69] != RSM_CAPK_TCP && b[69] != RSM_CAPK_VERBS &&
	    b[69] != RSM_CAPK_UCX) ||
	    (b[69] != RSM_CAPK_VERBS && G32(b, 72) != 0) || b[70] || b[71])
		return -1;
	/* Further addresses: verbs only, each whole, the rest zeros. */
	n = b[76];
	if (n > RSM_CAP_ADDRS_MAX - 1 || (b[69] != RSM_CAPK_VERBS && n != 0) ||
	    b[77] || b[78] || b[79])
		return -1;
	for (i = 0; i < n; i++) {
		const uint8_t *e = b + 80 + 20 * i;

		if ((e[16] == 0 && e[17] == 0) || e[19] != 0 ||
		    (e[18] != RSM_CAP_INET && e[18] != RSM_CAP_INET6))
			return -1;
	}
	for (i = 80 + 20 * n; i < RSM_RMT_CONNECT_REPLY_LEN; i++)
		if (b[i] != 0)
			return -1;
	memset(m, 0, sizeof(*m));
	m->handle = G64(b, 0);
	m->size = G64(b, 8);
	m->node_mode = G32(b, 16);
	m->granted = G32(b, 20);
	m->owner_uid = G32(b, 24);
	m->owner_gid = G32(b, 28);
	memcpy(m->cap.token, b + 32, RSM_CAP_TOKEN_LEN);
	memcpy(m->cap.addr, b + 48, sizeof(m->cap.addr));
	m->cap.port = (uint16_t)port;
	m->cap.family = b[68];
	m->cap.kind = b[69];
	m->cap.rkey = G32(b, 72);
	m->cap.nmore = (uint8_t)n;
	for (i = 0; i < n; i++) {
		const uint8_t *e = b + 80 + 20 * i;

		memcpy(m->cap.more[i].addr, e, 16);
		m->cap.more[i].port = (uint16_t)(e[16] | e[17] << 8);
		m->cap.more[i].family = e[18];
	}
	return 0;
}

size_t
rsm_rmt_handle_enc(void *out, uint64_t handle)
{
	P64(out, 0, handle);
	return RSM_RMT_HANDLE_LEN;
}

int
rsm_rmt_handle_dec(const void *in, size_t len, uint64_t *handle)
{
	if (len != RSM_RMT_HANDLE_LEN)
		return -1;
	*handle = G64(in, 0);
	return 0;
}

size_t
rsm_rmt_revoked_enc(void *out, const struct rsm_rmt_revoked *m)
{
	P64(out, 0, m->handle);
	P32(out, 8, m->reason);
	P32(out, 12, 0);
	return RSM_RMT_REVOKED_LEN;
}

int
rsm_rmt_revoked_dec(const void *in, size_t len, struct rsm_rmt_revoked *m)
{
	if (len != RSM_RMT_REVOKED_LEN || G32(in, 12) != 0)
		return -1;
	m->handle = G64(in, 0);
	m->reason = G32(in, 8);
	return 0;
}

size_t
rsm_rmt_unreachable_enc(void *out, const struct rsm_rmt_unreachable *m)
{
	uint8_t *b = out;

	P64(b, 0, m->handle);
	P32(b, 8, m->err);
	P32(b, 12, m->port);
	b[16] = m->family;
	memset(b + 17, 0, 3);
	memcpy(b + 20, m->addr, sizeof(m->addr));
	memset(b + 36, 0, 4);
	return RSM_RMT_UNREACHABLE_LEN;
}

int
rsm_rmt_unreachable_dec(const void *in, size_t len,
    struct rsm_rmt_unreachable *m)
{
	const uint8_t *b = in;
	uint32_t port;

	if (len != RSM_RMT_UNREACHABLE_LEN)
		return -1;
	port = G32(b, 12);
	if (port == 0 || port > 0xffff || b[17] != 0 || b[18] != 0 ||
	    b[19] != 0 || G32(b, 36) != 0 ||
	    (b[16] != RSM_CAP_INET && b[16] != RSM_CAP_INET6))
		return -1;
	memset(m, 0, sizeof(*m));
	m->handle = G64(b, 0);
	m->err = G32(b, 8);
	m->port = (uint16_t)port;
	m->family = b[16];
	memcpy(m->addr, b + 20, sizeof(m->addr));
	return 0;
}

size_t
rsm_rmt_signal_enc(void *out, const struct rsm_rmt_signal *m)
{
	P64(out, 0, m->handle);
	P32(out, 8, m->kind);
	P32(out, 12, m->flags);
	return RSM_RMT_SIGNAL_LEN;
}

int
rsm_rmt_signal_dec(const void *in, size_t len, struct rsm_rmt_signal *m)
{
	if (len != RSM_RMT_SIGNAL_LEN)
		return -1;
	m->handle = G64(in, 0);
	m->kind = G32(in, 8);
	m->flags = G32(in, 12);
	return 0;
}
