/*
 * verbs_dl.h - libibverbs and librdmacm, loaded at run time.
 *
 * librsm, rsmd and rsmadm must start on machines without RDMA libraries,
 * so nothing links against them: verbs_dl_open() dlopen()s
 * libibverbs.so.1 and librdmacm.so.1 once and fills one table with the
 * exported functions used.  Only exported functions go through the table;
 * the static inline verbs of <infiniband/verbs.h> that call through a
 * context's ops (ibv_post_send, ibv_post_recv, ibv_poll_cq,
 * ibv_req_notify_cq) are used directly.  Inline wrappers that fall back
 * to an exported function (ibv_query_port, ibv_reg_mr, ibv_query_device_ex)
 * must not be used: they would make the library need the symbol at load
 * time.  The table is never unloaded.
 */
#ifndef RSM_VERBS_DL_H
#define RSM_VERBS_DL_H

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

struct verbs_dl {
	/* libibverbs */
	struct ibv_device **(*get_device_list)(int *num);
	void	(*free_device_list)(struct ibv_device **list);
	const char *(*get_device_name)(struct ibv_device *dev);
	struct ibv_context *(*open_device)(struct ibv_device *dev);
	int	(*close_device)(struct ibv_context *ctx);
	int	(*query_device)(struct ibv_context *ctx,
		    struct ibv_device_attr *attr);
	/* The exported compat entry: fills the leading part of the struct. */
	int	(*query_port)(struct ibv_context *ctx, uint8_t port,
		    struct ibv_port_attr *attr);
	struct ibv_pd *(*alloc_pd)(struct ibv_context *ctx);
	int	(*dealloc_pd)(struct ibv_pd *pd);
	struct ibv_mr *(*reg_mr)(struct ibv_pd *pd, void *addr, size_t len,
		    int access);
	/* Remote addresses are then iova-based (the daemon uses 0). */
	struct ibv_mr *(*reg_mr_iova)(struct ibv_pd *pd, void *addr,
		    size_t len, uint64_t iova, int access);
	int	(*dereg_mr)(struct ibv_mr *mr);
	/* NULL in a libibverbs older than 1.11 (rdma-core 30). */
	ssize_t	(*query_gid_table)(struct ibv_context *ctx,
		    struct ibv_gid_entry *entries, size_t max_entries,
		    uint32_t flags, size_t entry_size);
	struct ibv_comp_channel *(*create_comp_channel)(struct ibv_context *);
	int	(*destroy_comp_channel)(struct ibv_comp_channel *ch);
	struct ibv_cq *(*create_cq)(struct ibv_context *ctx, int cqe,
		    void *cq_context, struct ibv_comp_channel *ch, int vector);
	int	(*destroy_cq)(struct ibv_cq *cq);
	int	(*get_cq_event)(struct ibv_comp_channel *ch, struct ibv_cq **cq,
		    void **cq_context);
	void	(*ack_cq_events)(struct ibv_cq *cq, unsigned int n);
	int	(*modify_qp)(struct ibv_qp *qp, struct ibv_qp_attr *attr,
		    int mask);
	int	(*fork_init)(void);
	enum ibv_fork_status (*is_fork_initialized)(void);
	const char *(*wc_status_str)(enum ibv_wc_status status);
	/* librdmacm */
	struct rdma_event_channel *(*create_event_channel)(void);
	void	(*destroy_event_channel)(struct rdma_event_channel *ch);
	int	(*create_id)(struct rdma_event_channel *ch,
		    struct rdma_cm_id **id, void *ctx, enum rdma_port_space ps);
	int	(*destroy_id)(struct rdma_cm_id *id);
	int	(*bind_addr)(struct rdma_cm_id *id, struct sockaddr *addr);
	int	(*listen)(struct rdma_cm_id *id, int backlog);
	int	(*resolve_addr)(struct rdma_cm_id *id, struct sockaddr *src,
		    struct sockaddr *dst, int timeout_ms);
	int	(*resolve_route)(struct rdma_cm_id *id, int timeout_ms);
	int	(*create_qp)(struct rdma_cm_id *id, struct ibv_pd *pd,
		    struct ibv_qp_init_attr *attr);
	void	(*destroy_qp)(struct rdma_cm_id *id);
	int	(*connect)(struct rdma_cm_id *id, struct rdma_conn_param *p);
	int	(*accept)(struct rdma_cm_id *id, struct rdma_conn_param *p);
	int	(*reject)(struct rdma_cm_id *id, const void *data,
		    uint8_t len);
	int	(*disconnect)(struct rdma_cm_id *id);
	int	(*get_cm_event)(struct rdma_event_channel *ch,
		    struct rdma_cm_event **ev);
	int	(*ack_cm_event)(struct rdma_cm_event *ev);
	const char *(*event_str)(enum rdma_cm_event_type type);
};

/*
 * Load both libraries (once; thread safe).  Returns the table, or NULL
 * when either library or any symbol is missing; *why (may be NULL) then
 * says what, for the caller's log line.
 */
const struct verbs_dl *verbs_dl_open(const char **why);

/*
 * Make registrations safe across fork() (ibv_fork_init), once, before
 * the first registration; a kernel that makes it unnecessary is fine.
 * Returns 0, or -1 when fork safety could not be had.
 */
int	 verbs_dl_fork_safe(const struct verbs_dl *v);

#endif /* RSM_VERBS_DL_H */
