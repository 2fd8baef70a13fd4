/*
 * serve_tcp.c - the data service of controller tcp0: its row of the
 * service table, its capabilities' addresses, and the data port: bind
 * data_listen, accept, and refuse what is over the limits before it costs
 * anything.  The connections themselves are serve_tcp_conn.c.
 *
 * With the default address (127.0.0.1, any free port) a failure to bind
 * only leaves the node without tcp0; an address the administrator chose
 * must work, or the daemon does not start.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rsmapi.h"
#include "capability.h"
#include "serve_tcp.h"
#include "rsm_clock.h"
#include "service.h"
#include "log.h"

/* Connections accepted per readiness callback, for fairness. */
#define ACCEPT_BURST		64
/* After running out of descriptors, try accepting again this much later. */
#define ACCEPT_RETRY_MS		1000

static int
data_enabled(const struct rsmd *rs)
{
	return tcp_ds(rs) != NULL;
}

/*
 * What importers are told.  A wildcard bind is reachable on loopback from
 * this node; a peer daemon handing out a capability for a remote importer
 * substitutes the address that importer reaches this node by.
 */
static void
set_advertised(struct dataserv *ds, const struct sockaddr_storage *ss)
{
	memset(ds->addr, 0, sizeof(ds->addr));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		ds->family = RSM_CAP_INET6;
		if (IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			memcpy(ds->addr, &in6addr_loopback, 16);
		else
			memcpy(ds->addr, &s6->sin6_addr, 16);
		ds->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const void *)ss;
		struct in_addr a = s4->sin_addr;

		ds->family = RSM_CAP_INET;
		if (a.s_addr == htonl(INADDR_ANY))
			a.s_addr = htonl(INADDR_LOOPBACK);
		memcpy(ds->addr, &a, 4);
		ds->port = ntohs(s4->sin_port);
	}
	rsmd_addr_text(ss, ds->name, sizeof(ds->name));
}

static void
accept_ready(struct rsmd *rs, struct rsmd_io *io, uint32_t events)
{
	struct dataserv *ds = tcp_ds(rs);
	struct sockaddr_storage ss;
	char peer[80];
	int fd, i, one = 1, exhausted;

	(void)io;
	(void)events;
	for (i = 0; i < ACCEPT_BURST; i++) {
		if ((fd = rsmd_accept(rs, &ds->io, &ss, "data port",
		    &exhausted)) == -1) {
			if (exhausted)
				rsmd_timer_set(rs, &ds->accept_retry,
				    rsm_now_ms() + ACCEPT_RETRY_MS);
			return;
		}
		rsmd_addr_text(&ss, peer, sizeof(peer));
		if (ds->nconns >= DS_CONNS_MAX) {
			close(fd);
			ds_refused(rs, peer, "too many data connections");
			continue;
		}
		if (ds->nhello >= DS_HELLO_MAX) {
			close(fd);
			ds_refused(rs, peer, "too many connections without "
			    "a token");
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		dconn_accept(rs, fd, peer);
	}
}

static void
accept_resume(struct rsmd *rs, struct rsmd_timer *t)
{
	(void)t;
	if (tcp_ds(rs) != NULL)
		rsmd_io_mod(rs, &tcp_ds(rs)->io, EPOLLIN);
}

static int
open_port(struct dataserv *ds, const struct rsmd_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1;

	fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("data port %s: socket", a->text);
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&a->sa, a->salen) == -1) {
		log_warn("data port %s: bind", a->text);
		close(fd);
		return -1;
	}
	if (listen(fd, SOMAXCONN) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		log_warn("data port %s: listen", a->text);
		close(fd);
		return -1;
	}
	ds->fd = fd;
	set_advertised(ds, &ss);
	return 0;
}

static int
data_start(struct rsmd *rs)
{
	struct rsmd_addr a;
	struct dataserv *ds;
	int chosen = config_data_listen(&rs->conf, &a);

	if ((ds = calloc(1, sizeof(*ds))) == NULL) {
		log_warn("data server");
		return -1;
	}
	ds->fd = -1;
	ds->refusal_log = (struct rsm_ratelimit)RSM_RATELIMIT_INIT(1000,
	    DS_LOG_PER_SEC);
	TAILQ_INIT(&ds->conns);
	TAILQ_INIT(&ds->dead);
	if (open_port(ds, &a) == -1) {
		free(ds);
		if (chosen)
			return -1;
		log_warnx("controller tcp0 is not available on this node");
		return 0;
	}
	ds->io.fd = ds->fd;
	ds->io.ready = accept_ready;
	ds->accept_retry.fire = accept_resume;
	rs->svc_state[RSM_XPORT_TCP] = ds;
	return 0;
}

static int
data_watch(struct rsmd *rs)
{
	if (tcp_ds(rs) == NULL)
		return 0;
	if (rsmd_io_add(rs, &tcp_ds(rs)->io, EPOLLIN) == -1) {
		log_warn("data port: epoll_ctl");
		return -1;
	}
	tcp_ds(rs)->watched = 1;
	log_info("controller tcp0: data port %s", tcp_ds(rs)->name);
	return 0;
}

static void
data_stop(struct rsmd *rs)
{
	struct dataserv *ds = tcp_ds(rs);

	if (ds == NULL)
		return;
	cap_revoke_service(rs, &rsmd_serve_tcp);
	dconn_close_all(rs);
	rsmd_timer_cancel(rs, &ds->accept_retry);
	if (ds->watched)
		rsmd_io_del(rs, &ds->io);
	close(ds->fd);
	free(ds);
	rs->svc_state[RSM_XPORT_TCP] = NULL;
}

/* ---- the service ---- */

static unsigned
tcp_units(const struct rsmd *rs)
{
	return data_enabled(rs) ? 1 : 0;
}

static int
tcp_ctlr(struct rsmd *rs, uint32_t unit, struct rsm_msg_ctlr_reply *r)
{
	(void)r;
	if (unit != 0 || !data_enabled(rs))
		return RSMERR_CTLR_NOT_PRESENT;
	return RSM_SUCCESS;
}

/* The data port's address and port: all a remote importer needs. */
static int
tcp_issue(struct rsmd *rs, struct rsmd_cap *cap, struct rsm_wire_cap *w)
{
	const struct dataserv *ds = tcp_ds(rs);

	(void)cap;
	if (ds == NULL)
		return RSMERR_CTLR_NOT_PRESENT;
	memcpy(w->addr, ds->addr, sizeof(w->addr));
	w->port = ds->port;
	w->family = ds->family;
	w->kind = RSM_CAPK_TCP;
	return RSM_SUCCESS;
}

static void
tcp_revoke(struct rsmd *rs, struct rsmd_cap *cap, uint32_t reason)
{
	if (tcp_ds(rs) != NULL)
		dconn_close_cap(rs, cap, reason == RSMERR_CONN_ABORTED ?
		    "capability revoked" : "capability revoked (error)");
}

const struct rsmd_service rsmd_serve_tcp = {
	.name = "tcp0",
	.xport = RSM_XPORT_TCP,
	.open = data_start,
	.start = data_watch,
	.stop = data_stop,
	.units = tcp_units,
	.serving = data_enabled,
	.ctlr = tcp_ctlr,
	.issue = tcp_issue,
	.revoke = tcp_revoke,
	/*
	 * Nothing is held per segment: every copy goes through its current
	 * mapping, so importers follow a rebind (spec 6.4).
	 */
	.segment_released = service_segment_nothing_held,
	.segment_rebound = service_segment_followed,
};
