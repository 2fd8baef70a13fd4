/*
 * handler.h - what the local socket (control.c) hands the handler of a
 * request, private to control.c and the handlers: handle_export.c
 * (segments a client exports), handle_import.c (segments it imports,
 * signals), handle_info.c (controllers, topology, status, lists) and
 * admin_forward.c (rsmadm -n); and to admin_serve.c, which runs the
 * read-only ones for another node's rsmadm.
 *
 * A handler returns RSM_SUCCESS with its reply in r->out (r->outlen
 * bytes, r->outfd a descriptor to pass), an RSMERR_* value (the reply
 * carries no payload), or RSMD_DEFERRED when it answers later with
 * control_reply().  The request was checked by rsm_msg_check(): its
 * payload has the exact size of its type.
 */
#ifndef RSMD_HANDLER_H
#define RSMD_HANDLER_H

#include "rsmd.h"

/* One request being served; the handler fills the reply part. */
struct req {
	struct rsmd		*rs;
	struct client		*c;
	const struct rsm_msg_hdr *h;
	const void		*p;
	size_t			 plen;
	int			 fd;		/* received; set to -1 if kept */
	union {
		struct rsm_msg_hello_reply	hello;
		struct rsm_msg_ctlr_reply	ctlr;
		struct rsm_msg_handle		handle;
		struct rsm_msg_publish_reply	publish;
		struct rsm_msg_connect_reply	connect;
		struct rsm_msg_topology		topo;
		struct rsm_msg_status		status;
		struct rsm_msg_seginfo		seginfo;
		struct rsm_msg_nodeinfo		nodeinfo;
		struct rsm_msg_stats		stats;
		/* DSEG_READ: struct rsm_msg_dseg_data and its bytes. */
		struct {
			uint32_t	 len;
			uint32_t	 pad;
			unsigned char	 data[RSM_DSEG_IO_MAX];
		} dseg;
	} out;
	size_t			 outlen;
	int			 outfd;
	int			 outfd_owned;	/* close outfd once sent */
	/*
	 * Set when nobody local asked (admin_serve.c): the replies before
	 * the last go here instead of to the client.
	 */
	void			(*more)(struct req *, const void *, size_t);
	void			*more_arg;
};

typedef int (*handler_fn)(struct req *);

/* A reply of a list before its last message (RSM_MSGF_MORE). */
void	 req_send_more(struct req *, const void *payload, size_t len);
/* control.c: the handler of a request type, or NULL. */
handler_fn control_handler_for(uint16_t type);

/* The client's own segment by handle, or NULL. */
static inline struct reg_segment *
req_segment(struct req *r, uint64_t handle)
{
	return reg_segment_find(&r->rs->reg, &r->c->owner, handle);
}

/* handle_export.c */
int	 h_export_create(struct req *);
int	 h_export_destroy(struct req *);
int	 h_export_rebind(struct req *);
int	 h_publish(struct req *);
int	 h_unpublish(struct req *);
int	 h_republish(struct req *);

/* handle_import.c */
int	 h_import_connect(struct req *);
int	 h_import_disconnect(struct req *);
int	 h_signal_post(struct req *);

/* handle_info.c */
int	 h_hello(struct req *);
int	 h_ctlr_query(struct req *);
int	 h_topology(struct req *);
int	 h_nodes(struct req *);
int	 h_ping(struct req *);
/* handle_uffd.c */
int	 h_uffd(struct req *);
int	 h_status(struct req *);
int	 h_list_segments(struct req *);
int	 h_list_ctlrs(struct req *);

/* handle_stats.c */
int	 h_stats(struct req *);

/* monitor.c */
int	 h_monitor(struct req *);

/* admin_forward.c */
int	 h_admin_remote(struct req *);

/* dseg.c */
int	 h_dseg_create(struct req *);
int	 h_dseg_remove(struct req *);
int	 h_dseg_read(struct req *);
int	 h_dseg_write(struct req *);

#endif /* RSMD_HANDLER_H */
