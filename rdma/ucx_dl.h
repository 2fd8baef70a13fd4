/*
 * ucx_dl.h - libucp and libucs, loaded at run time.
 *
 * As with rdma-core (verbs_dl.h), librsm and rsmd must start where UCX is
 * not installed, so nothing links against it: ucx_dl_open() dlopen()s
 * libucp.so.0 and libucs.so.0 once and fills one table with the exported
 * functions the ucx0 transport and its daemon service use.  The headers
 * give types and constants only.  ucp_init() is an inline wrapper of
 * ucp_init_version(), which is what the table holds.  The table is never
 * unloaded.  UCX_* environment variables keep their usual meaning: the
 * configuration is read with ucp_config_read() like any UCX program's.
 */
#ifndef RSM_UCX_DL_H
#define RSM_UCX_DL_H

#include <ucp/api/ucp.h>

struct ucx_dl {
	ucs_status_t (*config_read)(const char *prefix, const char *file,
		    ucp_config_t **config_p);
	void	(*config_release)(ucp_config_t *config);
	ucs_status_t (*init_version)(unsigned major, unsigned minor,
		    const ucp_params_t *params, const ucp_config_t *config,
		    ucp_context_h *context_p);
	void	(*cleanup)(ucp_context_h context);
	ucs_status_t (*worker_create)(ucp_context_h context,
		    const ucp_worker_params_t *params, ucp_worker_h *worker_p);
	void	(*worker_destroy)(ucp_worker_h worker);
	unsigned (*worker_progress)(ucp_worker_h worker);
	ucs_status_t (*worker_get_efd)(ucp_worker_h worker, int *fd);
	ucs_status_t (*worker_arm)(ucp_worker_h worker);
	ucs_status_t (*worker_fence)(ucp_worker_h worker);
	ucs_status_t (*worker_set_am_recv_handler)(ucp_worker_h worker,
		    const ucp_am_handler_param_t *param);
	ucs_status_t (*listener_create)(ucp_worker_h worker,
		    const ucp_listener_params_t *params,
		    ucp_listener_h *listener_p);
	void	(*listener_destroy)(ucp_listener_h listener);
	ucs_status_t (*listener_query)(ucp_listener_h listener,
		    ucp_listener_attr_t *attr);
	ucs_status_t (*listener_reject)(ucp_listener_h listener,
		    ucp_conn_request_h conn_request);
	ucs_status_t (*conn_request_query)(ucp_conn_request_h conn_request,
		    ucp_conn_request_attr_t *attr);
	ucs_status_t (*ep_create)(ucp_worker_h worker,
		    const ucp_ep_params_t *params, ucp_ep_h *ep_p);
	ucs_status_ptr_t (*ep_close_nbx)(ucp_ep_h ep,
		    const ucp_request_param_t *param);
	ucs_status_ptr_t (*ep_flush_nbx)(ucp_ep_h ep,
		    const ucp_request_param_t *param);
	ucs_status_t (*mem_map)(ucp_context_h context,
		    const ucp_mem_map_params_t *params, ucp_mem_h *memh_p);
	ucs_status_t (*mem_unmap)(ucp_context_h context, ucp_mem_h memh);
	ucs_status_t (*rkey_pack)(ucp_context_h context, ucp_mem_h memh,
		    void **rkey_buffer_p, size_t *size_p);
	void	(*rkey_buffer_release)(void *rkey_buffer);
	ucs_status_t (*ep_rkey_unpack)(ucp_ep_h ep, const void *rkey_buffer,
		    ucp_rkey_h *rkey_p);
	void	(*rkey_destroy)(ucp_rkey_h rkey);
	ucs_status_ptr_t (*put_nbx)(ucp_ep_h ep, const void *buffer,
		    size_t count, uint64_t remote_addr, ucp_rkey_h rkey,
		    const ucp_request_param_t *param);
	ucs_status_ptr_t (*get_nbx)(ucp_ep_h ep, void *buffer, size_t count,
		    uint64_t remote_addr, ucp_rkey_h rkey,
		    const ucp_request_param_t *param);
	ucs_status_ptr_t (*am_send_nbx)(ucp_ep_h ep, unsigned id,
		    const void *header, size_t header_length,
		    const void *buffer, size_t count,
		    const ucp_request_param_t *param);
	ucs_status_t (*request_check_status)(void *request);
	void	(*request_free)(void *request);
	void	(*context_print_info)(const ucp_context_h context,
		    FILE *stream);
	/* libucs */
	const char *(*status_string)(ucs_status_t status);
};

/*
 * The table, loading the libraries at the first call; NULL when they are
 * missing or lack a function (ucx_dl_why() says which, for the log line).
 * Thread-safe.
 */
const struct ucx_dl *ucx_dl_open(void);
const char *ucx_dl_why(void);

/* ucp_init() through the table (the header's inline calls the library). */
ucs_status_t ucx_dl_init(const struct ucx_dl *u, const ucp_params_t *params,
	    const ucp_config_t *config, ucp_context_h *context_p);

/*
 * What the context selected, as one line for listings: the "transports"
 * and "devices" of ucp_context_print_info(), at most len-1 bytes.
 */
void	 ucx_dl_describe(const struct ucx_dl *u, ucp_context_h ctx,
	    char *buf, size_t len);

#endif /* RSM_UCX_DL_H */
