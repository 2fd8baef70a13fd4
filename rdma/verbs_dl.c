/*
 * verbs_dl.c - load libibverbs.so.1 and librdmacm.so.1 at run time and
 * fill the function table of verbs_dl.h.
 */
#include "verbs_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

static struct verbs_dl table;
static const struct verbs_dl *loaded;
static const char *load_why = "not loaded";
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;
static int fork_rc = -1;

/*
 * Symbol name, its slot in the table, which library holds it, and
 * whether the table does without it (the slot stays NULL).
 */
#define IBV	0
#define RDMACM	1
static const struct {
	const char *name;
	size_t	 off;
	int	 lib;
	int	 optional;
} syms[] = {
#define S(lib, slot, name) { name, offsetof(struct verbs_dl, slot), lib, 0 }
#define S_OPT(lib, slot, name) \
	{ name, offsetof(struct verbs_dl, slot), lib, 1 }
	S(IBV, get_device_list, "ibv_get_device_list"),
	S(IBV, free_device_list, "ibv_free_device_list"),
	S(IBV, get_device_name, "ibv_get_device_name"),
	S(IBV, open_device, "ibv_open_device"),
	S(IBV, close_device, "ibv_close_device"),
	S(IBV, query_device, "ibv_query_device"),
	S(IBV, query_port, "ibv_query_port"),
	S(IBV, alloc_pd, "ibv_alloc_pd"),
	S(IBV, dealloc_pd, "ibv_dealloc_pd"),
	S(IBV, reg_mr, "ibv_reg_mr"),
	S(IBV, reg_mr_iova, "ibv_reg_mr_iova"),
	S(IBV, dereg_mr, "ibv_dereg_mr"),
	S_OPT(IBV, query_gid_table, "_ibv_query_gid_table"),
	S(IBV, create_comp_channel, "ibv_create_comp_channel"),
	S(IBV, destroy_comp_channel, "ibv_destroy_comp_channel"),
	S(IBV, create_cq, "ibv_create_cq"),
	S(IBV, destroy_cq, "ibv_destroy_cq"),
	S(IBV, get_cq_event, "ibv_get_cq_event"),
	S(IBV, ack_cq_events, "ibv_ack_cq_events"),
	S(IBV, modify_qp, "ibv_modify_qp"),
	S(IBV, fork_init, "ibv_fork_init"),
	S(IBV, is_fork_initialized, "ibv_is_fork_initialized"),
	S(IBV, wc_status_str, "ibv_wc_status_str"),
	S(RDMACM, create_event_channel, "rdma_create_event_channel"),
	S(RDMACM, destroy_event_channel, "rdma_destroy_event_channel"),
	S(RDMACM, create_id, "rdma_create_id"),
	S(RDMACM, destroy_id, "rdma_destroy_id"),
	S(RDMACM, bind_addr, "rdma_bind_addr"),
	S(RDMACM, listen, "rdma_listen"),
	S(RDMACM, resolve_addr, "rdma_resolve_addr"),
	S(RDMACM, resolve_route, "rdma_resolve_route"),
	S(RDMACM, create_qp, "rdma_create_qp"),
	S(RDMACM, destroy_qp, "rdma_destroy_qp"),
	S(RDMACM, connect, "rdma_connect"),
	S(RDMACM, accept, "rdma_accept"),
	S(RDMACM, reject, "rdma_reject"),
	S(RDMACM, disconnect, "rdma_disconnect"),
	S(RDMACM, get_cm_event, "rdma_get_cm_event"),
	S(RDMACM, ack_cm_event, "rdma_ack_cm_event"),
	S(RDMACM, event_str, "rdma_event_str"),
#undef S
#undef S_OPT
};

static void
load(void)
{
	static const char *const libname[] = { "libibverbs.so.1",
	    "librdmacm.so.1" };
	void *lib[2];
	size_t i;

	for (i = 0; i < 2; i++) {
		if ((lib[i] = dlopen(libname[i], RTLD_NOW | RTLD_LOCAL)) ==
		    NULL) {
			load_why = i == 0 ? "libibverbs.so.1 not found" :
			    "librdmacm.so.1 not found";
			return;
		}
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *p = dlsym(lib[syms[i].lib], syms[i].name);

		if (p == NULL && syms[i].optional)
			continue;
		if (p == NULL) {
			load_why = "an RDMA library lacks a needed function";
			return;
		}
		/* POSIX guarantees object and function pointers convert. */
		memcpy((char *)&table + syms[i].off, &p, sizeof(p));
	}
	loaded = &table;
	load_why = NULL;
	/* The libraries stay loaded for the life of the process. */
}

const struct verbs_dl *
verbs_dl_open(const char **why)
{
	(void)pthread_once(&load_once, load);
	if (why != NULL)
		*why = load_why;
	return loaded;
}

static void
do_fork_init(void)
{
	const struct verbs_dl *v = loaded;

	if (v == NULL)
		return;
	if (v->is_fork_initialized() != IBV_FORK_DISABLED) {
		/* Already on, or the kernel copes with fork on its own. */
		fork_rc = 0;
		return;
	}
	fork_rc = v->fork_init() == 0 ? 0 : -1;
}

int
verbs_dl_fork_safe(const struct verbs_dl *v)
{
	if (v == NULL)
		return -1;
	(void)pthread_once(&fork_once, do_fork_init);
	return fork_rc;
}
