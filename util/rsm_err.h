/*
 * rsm_err.h - every RSMAPI return code, its name and a short message, in
 * one list, so that rsmadm, rsmd's logs, the demo and the benchmark all
 * speak of errors by the names an operator finds in rsmapi.h and the man
 * pages.
 *
 * RSM_ERR_LIST(X) calls X(name, number, message) once per code, in
 * rsmapi.h's order.  rsm_err.c checks at compile time that each number is
 * the one rsmapi.h gives the name; tests/unit/test_err_list.sh checks
 * that the list names every RSMERR_ of rsmapi.h.
 */
#ifndef RSM_ERR_H
#define RSM_ERR_H

#define RSM_ERR_LIST(X) \
	X(RSM_SUCCESS, 0, "success") \
	X(RSMERR_BAD_LIBRARY_VERSION, 1, "library version not supported") \
	X(RSMERR_BAD_TOPOLOGY_PTR, 2, "bad topology pointer") \
	X(RSMERR_BAD_CTLR_HNDL, 3, "bad controller handle") \
	X(RSMERR_CTLR_NOT_PRESENT, 4, "no such controller") \
	X(RSMERR_BAD_SEG_HNDL, 5, "bad segment handle") \
	X(RSMERR_SEG_ALREADY_PUBLISHED, 6, "segment already published") \
	X(RSMERR_SEG_NOT_PUBLISHED, 7, "segment not published") \
	X(RSMERR_SEG_NOT_PUBLISHED_TO_NODE, 8, "not published to this node") \
	X(RSMERR_SEG_ALREADY_MAPPED, 9, "segment already mapped") \
	X(RSMERR_SEG_STILL_MAPPED, 10, "segment still mapped") \
	X(RSMERR_SEG_NOT_MAPPED, 11, "segment not mapped") \
	X(RSMERR_NOT_CREATOR, 12, "not the segment's creator") \
	X(RSMERR_BAD_BARRIER_PTR, 13, "bad barrier pointer") \
	X(RSMERR_BAD_SGIO, 14, "bad scatter/gather request") \
	X(RSMERR_BAD_LOCALMEM_HNDL, 15, "bad local memory handle") \
	X(RSMERR_BAD_ADDR, 16, "bad address") \
	X(RSMERR_BAD_MEM_ALIGNMENT, 17, "memory not aligned") \
	X(RSMERR_BAD_OFFSET, 18, "offset out of range") \
	X(RSMERR_MISALIGNED_OFFSET, 19, "offset not aligned") \
	X(RSMERR_BAD_LENGTH, 20, "bad length") \
	X(RSMERR_BAD_ACL, 21, "bad access control list") \
	X(RSMERR_BAD_SEGID, 22, "bad segment id") \
	X(RSMERR_RESERVED_SEGID, 23, "segment id reserved") \
	X(RSMERR_SEGID_IN_USE, 24, "segment id in use") \
	X(RSMERR_BAD_MODE, 25, "bad mode") \
	X(RSMERR_BAD_PERMS, 26, "bad permissions") \
	X(RSMERR_PERM_DENIED, 27, "permission denied") \
	X(RSMERR_LOCKS_NOT_SUPPORTED, 28, "locks not supported") \
	X(RSMERR_LOCKS_NOT_ENABLED, 29, "locks not enabled") \
	X(RSMERR_REBIND_NOT_ALLOWED, 30, "rebind not allowed") \
	X(RSMERR_INSUFFICIENT_RESOURCES, 31, "insufficient resources") \
	X(RSMERR_INSUFFICIENT_MEM, 32, "insufficient memory") \
	X(RSMERR_MAP_FAILED, 33, "mapping failed") \
	X(RSMERR_POLLFD_IN_USE, 34, "poll descriptor in use") \
	X(RSMERR_BARRIER_UNINITIALIZED, 35, "barrier not initialized") \
	X(RSMERR_BARRIER_OPEN_FAILED, 36, "barrier open failed") \
	X(RSMERR_BARRIER_NOT_OPENED, 37, "barrier not opened") \
	X(RSMERR_BARRIER_FAILURE, 38, "barrier failure: data may be lost") \
	X(RSMERR_REMOTE_NODE_UNREACHABLE, 39, "remote node unreachable") \
	X(RSMERR_CONN_ABORTED, 40, "connection aborted") \
	X(RSMERR_INTERRUPTED, 41, "interrupted") \
	X(RSMERR_TIMEOUT, 42, "timed out") \
	X(RSMERR_BAD_APPID, 43, "bad application id") \
	X(RSMERR_BAD_CONF, 44, "bad configuration") \
	X(RSMERR_SEG_NOT_CONNECTED, 45, "segment not connected") \
	X(RSMERR_INTERNAL_ERROR, 100, "internal error") \
	X(RSMERR_BAD_DRIVER_VERSION, 101, "bad driver version") \
	X(RSMERR_UNSUPPORTED_VERSION, 102, "unsupported version") \
	X(RSMERR_DRIVER_NAME_IN_USE, 103, "driver name in use") \
	X(RSMERR_DRIVER_NOT_REGISTERED, 104, "driver not registered") \
	X(RSMERR_DRIVER_THREAD_RUNNING, 105, "driver thread running") \
	X(RSMERR_NEED_THREAD_INIT, 106, "thread initialization needed") \
	X(RSMERR_THREAD_NOT_INITED, 107, "thread not initialized") \
	X(RSMERR_CTLRS_REGISTERED, 108, "controllers registered") \
	X(RSMERR_CTLR_NOT_REGISTERED, 109, "controller not registered") \
	X(RSMERR_CTLR_ALREADY_REGISTERED, 110, "controller registered twice") \
	X(RSMERR_CTLR_IN_USE, 111, "controller in use") \
	X(RSMERR_NAME_TOO_LONG, 112, "name too long") \
	X(RSMERR_SEG_PUBLISHED, 113, "segment published") \
	X(RSMERR_SEG_NOT_PUBLISHED_TO_RSM_ADDR, 114, "not published to this address") \
	X(RSMERR_SEG_IN_USE, 115, "segment in use") \
	X(RSMERR_BAD_SENDQ_HNDL, 116, "bad send queue handle") \
	X(RSMERR_BAD_ARGS_ERRORS, 117, "bad arguments") \
	X(RSMERR_BAD_MSTYPE, 118, "bad memory segment type") \
	X(RSMERR_NO_BACKING_MEM, 119, "no backing memory") \
	X(RSMERR_NOT_MEM, 120, "not memory") \
	X(RSMERR_MEM_ALREADY_BOUND, 121, "memory already bound") \
	X(RSMERR_MEM_NOT_BOUND, 122, "memory not bound") \
	X(RSMERR_HANDLER_NOT_REGISTERED, 123, "handler not registered") \
	X(RSMERR_NO_HANDLER, 124, "no handler") \
	X(RSMERR_UNBIND_REBIND_NOT_ALLOWED, 125, "unbind/rebind not allowed") \
	X(RSMERR_CALLBACKS_NOT_SUPPORTED, 126, "callbacks not supported") \
	X(RSMERR_UNSUPPORTED_OPERATION, 127, "operation not supported") \
	X(RSMERR_RSM_ADDR_UNREACHABLE, 128, "address unreachable") \
	X(RSMERR_UNKNOWN_RSM_ADDR, 129, "unknown address") \
	X(RSMERR_BAD_BARRIER_HNDL, 130, "bad barrier handle") \
	X(RSMERR_COMM_ERR_MAYBE_DELIVERED, 131, "comm error, maybe delivered") \
	X(RSMERR_COMM_ERR_NOT_DELIVERED, 132, "comm error, not delivered") \
	X(RSMERR_QUEUE_FENCE_UP, 133, "queue fenced") \
	X(RSMERR_QUEUE_FULL, 134, "queue full")

/*
 * "RSMERR_PERM_DENIED" for 27; for a code not in the list, "unknown error
 * N" in a per-thread buffer, valid until the thread's next such call.
 */
const char	*rsm_err_name(int code);
/* "permission denied" for 27; "unknown error" for a code not in the list. */
const char	*rsm_err_message(int code);

#endif /* RSM_ERR_H */
