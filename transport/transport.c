/*
 * transport.c - pick a transport's ops table by controller type, and the
 * slots several transports share.
 */
#include "config.h"
#include "transport.h"

#include <stddef.h>

#include "rsmapi.h"

/* Every transport built into this library; each serves one type. */
static const struct rsm_transport_ops *const built_in[] = {
	&rsm_loopback_ops,
	&rsm_shm_ops,
	&rsm_tcp_ops,
#ifdef HAVE_VERBS
	&rsm_verbs_ops,
#endif
#ifdef HAVE_UCX
	&rsm_ucx_ops,
#endif
};

const struct rsm_transport_ops *
rsm_transport_lookup(const struct rsm_ctlr_type *type)
{
	size_t i;

	if (type == NULL)
		return NULL;
	for (i = 0; i < sizeof(built_in) / sizeof(built_in[0]); i++)
		if (built_in[i]->xport == type->xport)
			return built_in[i];
	/*
	 * A type this library was built without (verbs without the RDMA
	 * headers): the daemon normally refuses its controllers; should one
	 * answer anyway, the data path fails cleanly instead of the get.
	 */
	return &rsm_dummy_ops;
}

void
rsm_xport_seg_open(struct rsm_xport_seg *seg, char *base, size_t size,
    int prot, void *priv)
{
	seg->base = base;
	seg->size = size;
	seg->prot = prot;
	seg->priv = priv;
}

void
rsm_xport_seg_reset(struct rsm_xport_seg *seg)
{
	rsm_xport_seg_open(seg, NULL, 0, 0, NULL);
}

int
rsm_xport_register_plain(struct rsm_xport_mem *mem, void *vaddr, size_t len)
{
	if (mem == NULL || vaddr == NULL)
		return RSMERR_BAD_ADDR;
	if (len == 0)
		return RSMERR_BAD_LENGTH;
	mem->vaddr = vaddr;
	mem->len = len;
	return RSM_SUCCESS;
}

int
rsm_xport_deregister_plain(struct rsm_xport_mem *mem)
{
	if (mem == NULL)
		return RSMERR_BAD_ADDR;
	mem->vaddr = NULL;
	mem->len = 0;
	return RSM_SUCCESS;
}

/* The daemon owns the routing: it knows which process holds each side. */
int
rsm_xport_signal_via_daemon(struct rsm_xport_seg *seg, uint32_t flags,
    rsm_xport_post_fn post, void *arg)
{
	(void)seg;
	if (post == NULL)
		return RSMERR_BAD_ADDR;
	return post(arg, flags);
}
