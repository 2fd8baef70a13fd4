/*
 * dummy.c - the ops table of a transport that is not built on this node.
 *
 * Every slot answers RSMERR_UNSUPPORTED_OPERATION.  The initializer is
 * positional on purpose: adding a slot to struct rsm_transport_ops without
 * adding its stub here is a build error (-Werror=missing-field-initializers
 * comes with -Wextra).
 */
#include "transport.h"

#include "rsmapi.h"

static int
dummy_connect(struct rsm_xport_seg *seg, const struct rsm_xport_target *t)
{
	(void)seg; (void)t;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_seg(struct rsm_xport_seg *seg)
{
	(void)seg;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_get(struct rsm_xport_seg *seg, size_t off, void *dst, size_t len)
{
	(void)seg; (void)off; (void)dst; (void)len;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_vec(struct rsm_xport_seg *seg, const struct rsm_xport_iov *iov,
    size_t n, size_t *done)
{
	(void)seg; (void)iov; (void)n;
	if (done != NULL)
		*done = 0;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_put(struct rsm_xport_seg *seg, size_t off, const void *src, size_t len)
{
	(void)seg; (void)off; (void)src; (void)len;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_register(struct rsm_xport_mem *mem, void *vaddr, size_t len)
{
	(void)mem; (void)vaddr; (void)len;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_deregister(struct rsm_xport_mem *mem)
{
	(void)mem;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_signal(struct rsm_xport_seg *seg, uint32_t flags, rsm_xport_post_fn post,
    void *arg)
{
	(void)seg; (void)flags; (void)post; (void)arg;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_atomic(struct rsm_xport_seg *seg, size_t off, unsigned op,
    unsigned width, uint64_t operand, uint64_t compare, uint64_t *old)
{
	(void)seg; (void)off; (void)op; (void)width; (void)operand;
	(void)compare; (void)old;
	return RSMERR_UNSUPPORTED_OPERATION;
}

static int
dummy_put_signal(struct rsm_xport_seg *seg, size_t off, const void *src,
    size_t len, uint32_t flags, rsm_xport_post_fn post, void *arg)
{
	(void)seg; (void)off; (void)src; (void)len; (void)flags; (void)post;
	(void)arg;
	return RSMERR_UNSUPPORTED_OPERATION;
}

/* The stubs of the extension slots, for tables that lack them. */
int
rsm_xport_atomic_unsupported(struct rsm_xport_seg *seg, size_t off,
    unsigned op, unsigned width, uint64_t operand, uint64_t compare,
    uint64_t *old)
{
	return dummy_atomic(seg, off, op, width, operand, compare, old);
}

const struct rsm_transport_ops rsm_dummy_ops = {
	"unsupported",
	0,			/* xport: serves no controller type */
	dummy_connect,
	dummy_seg,		/* disconnect */
	dummy_seg,		/* fence */
	dummy_seg,		/* flush */
	dummy_get,
	dummy_vec,		/* getv */
	dummy_put,
	dummy_vec,		/* putv */
	dummy_register,
	dummy_deregister,
	dummy_signal,
	NULL,			/* abort */
	dummy_atomic,
	dummy_put_signal,
	0,			/* vec_max: RSM_MAX_SGIOREQS */
	NULL,			/* putm: runs of putv */
};
