/*
 * transport.c - pick a transport's ops table by controller type, and the
 * slots several transports share.
 */
#include "config.h"
#include "transport.h"

#include <ctype.h>
#include <string.h>

#include "rsmapi.h"

static const struct {
	const char *type;
	const struct rsm_transport_ops *ops;
} xport_table[] = {
	{ "loopback",	&rsm_shm_ops },
	{ "shm",	&rsm_shm_ops },
	{ "tcp",	&rsm_tcp_ops },
#ifdef HAVE_VERBS
	{ "verbs",	&rsm_verbs_ops },
#else
	/* Built without RDMA headers: the daemon refuses these controllers. */
	{ "verbs",	&rsm_dummy_ops },
#endif
};

const struct rsm_transport_ops *
rsm_transport_lookup(const char *ctlr_name)
{
	size_t len, i;

	if (ctlr_name == NULL)
		return NULL;
	len = strlen(ctlr_name);
	while (len > 0 && isdigit((unsigned char)ctlr_name[len - 1]))
		len--;
	for (i = 0; i < sizeof(xport_table) / sizeof(xport_table[0]); i++) {
		if (strlen(xport_table[i].type) == len &&
		    strncmp(xport_table[i].type, ctlr_name, len) == 0)
			return xport_table[i].ops;
	}
	return NULL;
}

int
rsm_xport_register_plain(struct rsm_xport_mem *mem, void *vaddr, size_t len)
{
	if (vaddr == NULL)
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
