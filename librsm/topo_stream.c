/*
 * topo_stream.c - a TOPOLOGY stream received and checked, then laid out
 * as spec 2.2: one contiguous buffer holding the header, one pointer per
 * local controller, then per controller its connections header followed
 * by its remote entries.  The pointers are absolute addresses into the
 * same buffer, so a single free releases everything.
 */
#include "topo_stream.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN8(x)	(((x) + 7u) & ~(size_t)7u)

void
rsm_topo_rx_init(struct rsm_topo_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->err = RSM_SUCCESS;
}

void
rsm_topo_rx_free(struct rsm_topo_rx *rx)
{
	free(rx->remote);
	rx->remote = NULL;
}

/* The stream broke: keep the first reason, stop taking entries. */
static void
rx_fail(struct rsm_topo_rx *rx, int err)
{
	if (rx->err == RSM_SUCCESS)
		rx->err = err;
}

static void
rx_head(struct rsm_topo_rx *rx, const struct rsm_msg_topology *t,
    const unsigned char *e, size_t elen)
{
	if (rx->have_head || t->count > RSM_TOPO_CTLR_MAX ||
	    t->nremote > RSM_TOPO_REMOTE_MAX ||
	    elen != (size_t)t->count * sizeof(struct rsm_wire_ctlr)) {
		rx_fail(rx, RSMERR_BAD_ADDR);
		return;
	}
	rx->have_head = 1;
	rx->node_id = t->node_id;
	rx->nctlr = t->count;
	rx->nremote = t->nremote;
	memcpy(rx->ctlr, e, elen);
	if (t->nremote > 0 && (rx->remote = calloc(t->nremote,
	    sizeof(*rx->remote))) == NULL)
		rx_fail(rx, RSMERR_INSUFFICIENT_MEM);
}

static void
rx_part(struct rsm_topo_rx *rx, const struct rsm_msg_topology *t,
    const unsigned char *e, size_t elen)
{
	size_t i;

	/* In order and within what the HEAD announced: no gap, no overlap. */
	if (!rx->have_head || t->count == 0 ||
	    t->count > RSM_TOPO_PART_MAX || t->first != rx->got ||
	    t->count > rx->nremote - rx->got ||
	    elen != (size_t)t->count * sizeof(struct rsm_wire_remote)) {
		rx_fail(rx, RSMERR_BAD_ADDR);
		return;
	}
	memcpy(&rx->remote[rx->got], e, elen);
	for (i = 0; i < t->count; i++) {
		struct rsm_wire_remote *r = &rx->remote[rx->got + i];

		/* The entry indexes the HEAD's controllers. */
		if (r->local_ctlr >= rx->nctlr) {
			rx_fail(rx, RSMERR_BAD_ADDR);
			return;
		}
		r->name[sizeof(r->name) - 1] = '\0';
	}
	rx->got += t->count;
	rx->nparts++;
}

void
rsm_topo_rx_more(void *arg, const void *payload, size_t len)
{
	struct rsm_topo_rx *rx = arg;
	struct rsm_msg_topology t;

	if (rx->err != RSM_SUCCESS)
		return;
	if (payload == NULL || len < sizeof(t)) {
		rx_fail(rx, RSMERR_BAD_ADDR);
		return;
	}
	memcpy(&t, payload, sizeof(t));
	switch (t.kind) {
	case RSM_TOPO_HEAD:
		rx_head(rx, &t, (const unsigned char *)payload + sizeof(t),
		    len - sizeof(t));
		break;
	case RSM_TOPO_PART:
		rx_part(rx, &t, (const unsigned char *)payload + sizeof(t),
		    len - sizeof(t));
		break;
	default:
		/* An END is the last reply, never a MORE one. */
		rx_fail(rx, RSMERR_BAD_ADDR);
		break;
	}
}

/* Bytes of one rsm_connections_t holding n remote entries. */
static size_t
conn_size(size_t n)
{
	size_t sz = offsetof(rsm_connections_t, remote_cntlr) +
	    n * sizeof(rsm_remote_cntlr_t);

	if (sz < sizeof(rsm_connections_t))
		sz = sizeof(rsm_connections_t);
	return ALIGN8(sz);
}

/* Copy a wire name: bounded, always NUL-terminated. */
static void
copy_name(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, RSM_CTLR_NAME_MAX);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The description of a stream that checked out. */
static int
rx_build(const struct rsm_topo_rx *rx, rsm_topology_t **out)
{
	size_t total, hdr_sz, nrem[RSM_TOPO_CTLR_MAX], i, j;
	rsm_topology_t *top;
	char *p;

	memset(nrem, 0, sizeof(nrem));
	for (j = 0; j < rx->nremote; j++)
		nrem[rx->remote[j].local_ctlr]++;
	hdr_sz = offsetof(rsm_topology_t, connections) +
	    rx->nctlr * sizeof(rsm_connections_t *);
	if (hdr_sz < sizeof(rsm_topology_t))
		hdr_sz = sizeof(rsm_topology_t);
	hdr_sz = ALIGN8(hdr_sz);
	total = hdr_sz;
	for (i = 0; i < rx->nctlr; i++)
		total += conn_size(nrem[i]);
	if ((top = calloc(1, total)) == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	top->topology_hdr.local_nodeid = rx->node_id;
	top->topology_hdr.local_cntlr_count = rx->nctlr;
	p = (char *)top + hdr_sz;
	for (i = 0; i < rx->nctlr; i++) {
		rsm_connections_t *c = (rsm_connections_t *)(void *)p;
		int k = 0;

		top->connections[i] = c;
		copy_name(c->hdr.cntlr_name, sizeof(c->hdr.cntlr_name),
		    rx->ctlr[i].name);
		c->hdr.local_hwaddr = rx->ctlr[i].hwaddr;
		for (j = 0; j < rx->nremote; j++) {
			const struct rsm_wire_remote *w = &rx->remote[j];
			rsm_remote_cntlr_t *r;

			if (w->local_ctlr != i)
				continue;
			r = &c->remote_cntlr[k++];
			r->remote_nodeid = w->node;
			copy_name(r->remote_cntlrname,
			    sizeof(r->remote_cntlrname), w->name);
			r->remote_hwaddr = w->hwaddr;
			r->connection_state = w->state;
		}
		c->hdr.remote_cntlr_count = k;
		p += conn_size(nrem[i]);
	}
	*out = top;
	return RSM_SUCCESS;
}

int
rsm_topo_rx_end(struct rsm_topo_rx *rx, const void *payload, size_t len,
    rsm_topology_t **out)
{
	struct rsm_msg_topology t;

	*out = NULL;
	if (rx->err != RSM_SUCCESS)
		return rx->err;
	if (payload == NULL || len != sizeof(t))
		return RSMERR_BAD_ADDR;
	memcpy(&t, payload, sizeof(t));
	/*
	 * The END repeats the totals: a stream that stopped early, lost a
	 * part or announced more than it sent does not add up.
	 */
	if (t.kind != RSM_TOPO_END || t.count != 0 || !rx->have_head ||
	    t.nremote != rx->nremote || rx->got != rx->nremote ||
	    t.nparts != rx->nparts)
		return RSMERR_BAD_ADDR;
	return rx_build(rx, out);
}
