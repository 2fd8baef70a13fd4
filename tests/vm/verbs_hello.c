/*
 * verbs_hello.c - a raw rdma_cm client against the verbs listener of an
 * exporting rsmd (test_verbs.sh, in the guest): what someone who saw a
 * capability's connect on the wire could try.
 *
 *   verbs_hello NODE SEGID
 *
 * Imports SEGID of NODE through verbs0 (a live capability to aim at),
 * then connects queue pairs of its own to the capability's address, as
 * rsm_verbs_wire.h describes, three times:
 *   replay  the public id, then a proof for another nonce than the one
 *           the daemon's challenge carried (a proof seen on the wire)
 *   v2      the old hello, the raw token in the connect's private data
 *   right   the public id and the proof for this challenge: the daemon's
 *           ready message must arrive, which shows the client itself is
 *           sound, so that the refusals above mean something
 * and prints "replay=R v2=R right=R", each R being refused (rejected
 * at connect, or disconnected before any ready message), ready, or
 * timeout.
 * Exit 0 unless the setup itself failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include <rsmapi.h>

#include "rsm_int.h"
#include "rsm_data.h"
#include "rsm_verbs_wire.h"

#define WAIT_MS		5000
#define RECV_OFF	128

struct raw {
	struct rdma_event_channel *ech;
	struct rdma_cm_id *id;
	struct ibv_pd	*pd;
	struct ibv_cq	*cq;
	struct ibv_mr	*mr;
	char		 buf[256];
};

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The next connection-manager event within ms, acked; its private data into priv. */
static int
next_event(struct raw *r, int ms, enum rdma_cm_event_type *type, void *priv,
    size_t plen)
{
	struct pollfd p = { r->ech->fd, POLLIN, 0 };
	struct rdma_cm_event *ev;

	if (poll(&p, 1, ms) <= 0 || rdma_get_cm_event(r->ech, &ev) != 0)
		return -1;
	*type = ev->event;
	if (priv != NULL) {
		memset(priv, 0, plen);
		if (ev->param.conn.private_data != NULL)
			memcpy(priv, ev->param.conn.private_data,
			    ev->param.conn.private_data_len < plen ?
			    ev->param.conn.private_data_len : plen);
	}
	rdma_ack_cm_event(ev);
	return 0;
}

static void
raw_close(struct raw *r)
{
	if (r->id != NULL && r->id->qp != NULL) {
		(void)rdma_disconnect(r->id);
		rdma_destroy_qp(r->id);
	}
	if (r->mr != NULL)
		(void)ibv_dereg_mr(r->mr);
	if (r->cq != NULL)
		(void)ibv_destroy_cq(r->cq);
	if (r->pd != NULL)
		(void)ibv_dealloc_pd(r->pd);
	if (r->id != NULL)
		(void)rdma_destroy_id(r->id);
	if (r->ech != NULL)
		rdma_destroy_event_channel(r->ech);
	memset(r, 0, sizeof(*r));
}

/*
 * A queue pair connected to the capability's address with `priv` as the
 * connect's private data.  0 with the accept's private data in *ch; 1
 * when the daemon refused; -1 when the setup failed.
 */
static int
raw_connect(struct raw *r, const struct rsm_wire_cap *cap, const void *priv,
    size_t plen, struct rsm_verbs_challenge *ch)
{
	struct sockaddr_in dst;
	struct ibv_qp_init_attr qa;
	struct rdma_conn_param cp;
	struct ibv_recv_wr wr, *bad;
	struct ibv_sge sg;
	enum rdma_cm_event_type t;

	memset(r, 0, sizeof(*r));
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	memcpy(&dst.sin_addr, cap->addr, 4);
	dst.sin_port = htons(cap->port);
	if ((r->ech = rdma_create_event_channel()) == NULL ||
	    fcntl(r->ech->fd, F_SETFL, O_NONBLOCK) != 0 ||
	    rdma_create_id(r->ech, &r->id, NULL, RDMA_PS_TCP) != 0 ||
	    rdma_resolve_addr(r->id, NULL, (struct sockaddr *)&dst, 2000) != 0 ||
	    next_event(r, WAIT_MS, &t, NULL, 0) != 0 ||
	    t != RDMA_CM_EVENT_ADDR_RESOLVED ||
	    rdma_resolve_route(r->id, 2000) != 0 ||
	    next_event(r, WAIT_MS, &t, NULL, 0) != 0 ||
	    t != RDMA_CM_EVENT_ROUTE_RESOLVED ||
	    (r->pd = ibv_alloc_pd(r->id->verbs)) == NULL ||
	    (r->cq = ibv_create_cq(r->id->verbs, 8, NULL, NULL, 0)) == NULL ||
	    (r->mr = ibv_reg_mr(r->pd, r->buf, sizeof(r->buf),
	    IBV_ACCESS_LOCAL_WRITE)) == NULL)
		return -1;
	memset(&qa, 0, sizeof(qa));
	qa.send_cq = qa.recv_cq = r->cq;
	qa.qp_type = IBV_QPT_RC;
	qa.cap.max_send_wr = qa.cap.max_recv_wr = 4;
	qa.cap.max_send_sge = qa.cap.max_recv_sge = 1;
	if (rdma_create_qp(r->id, r->pd, &qa) != 0)
		return -1;
	/* The one receive the ready message needs. */
	sg.addr = (uintptr_t)(r->buf + RECV_OFF);
	sg.length = sizeof(r->buf) - RECV_OFF;
	sg.lkey = r->mr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.sg_list = &sg;
	wr.num_sge = 1;
	if (ibv_post_recv(r->id->qp, &wr, &bad) != 0)
		return -1;
	memset(&cp, 0, sizeof(cp));
	cp.private_data = priv;
	cp.private_data_len = (uint8_t)plen;
	cp.initiator_depth = 1;
	cp.retry_count = 7;
	cp.rnr_retry_count = 7;
	if (rdma_connect(r->id, &cp) != 0)
		return -1;
	if (next_event(r, WAIT_MS, &t, ch, sizeof(*ch)) != 0)
		return 1;
	return t == RDMA_CM_EVENT_ESTABLISHED ? 0 : 1;
}

/* Send the proof; then "ready", "refused" or "timeout". */
static const char *
raw_prove(struct raw *r, const struct rsm_verbs_proof *p)
{
	struct ibv_send_wr wr, *bad;
	struct ibv_sge sg;
	struct ibv_wc wc;
	enum rdma_cm_event_type t;
	struct rsm_verbs_ready m;
	long end = now_ms() + WAIT_MS;

	memcpy(r->buf, p, sizeof(*p));
	sg.addr = (uintptr_t)r->buf;
	sg.length = sizeof(*p);
	sg.lkey = r->mr->lkey;
	memset(&wr, 0, sizeof(wr));
	wr.opcode = IBV_WR_SEND;
	wr.send_flags = IBV_SEND_SIGNALED;
	wr.sg_list = &sg;
	wr.num_sge = 1;
	wr.wr_id = 1;
	if (ibv_post_send(r->id->qp, &wr, &bad) != 0)
		return "refused";
	while (now_ms() < end) {
		int n = ibv_poll_cq(r->cq, 1, &wc);

		if (n > 0 && wc.status != IBV_WC_SUCCESS)
			return "refused";
		if (n > 0 && wc.opcode == IBV_WC_RECV) {
			memcpy(&m, r->buf + RECV_OFF, sizeof(m));
			return wc.byte_len == sizeof(m) &&
			    m.magic == RSM_VERBS_MAGIC ? "ready" : "refused";
		}
		if (n == 0 && next_event(r, 1, &t, NULL, 0) == 0 &&
		    t == RDMA_CM_EVENT_DISCONNECTED)
			return "refused";
	}
	return "timeout";
}

/* One attempt: hello v2 with the token, or v3 with the id and a proof. */
static const char *
attempt(const struct rsm_wire_cap *cap, const char *kind)
{
	struct raw r;
	struct rsm_verbs_challenge ch;
	struct rsm_verbs_proof p;
	const char *out;
	int rc;

	if (strcmp(kind, "v2") == 0) {
		struct { uint32_t magic, version; uint8_t token[16]; } h = {
		    RSM_VERBS_MAGIC, 2, { 0 } };

		memcpy(h.token, cap->token, sizeof(h.token));
		rc = raw_connect(&r, cap, &h, sizeof(h), &ch);
		out = rc == 0 ? "established" : rc == 1 ? "refused" : NULL;
	} else {
		struct rsm_verbs_hello h = { RSM_VERBS_MAGIC,
		    RSM_VERBS_VERSION, { 0 } };

		rsm_data_cap_id(cap->token, h.cap_id);
		rc = raw_connect(&r, cap, &h, sizeof(h), &ch);
		if (rc != 0) {
			out = rc == 1 ? "refused" : NULL;
		} else {
			/* A proof seen on another connection: another nonce. */
			if (strcmp(kind, "replay") == 0)
				ch.nonce[0] ^= 0x5a;
			memset(&p, 0, sizeof(p));
			p.magic = RSM_VERBS_MAGIC;
			rsm_data_hello_prove(cap->token, ch.nonce, &p.hello);
			out = raw_prove(&r, &p);
		}
	}
	raw_close(&r);
	return out;
}

int
main(int argc, char **argv)
{
	/*
	 * The replay first: its refusal is the one test_verbs looks for in
	 * the log, and the daemon logs one refusal per 100 ms.
	 */
	static const char *const kinds[] = { "replay", "v2", "right" };
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_import_handle_t a;
	const struct rsm_wire_cap *cap;
	const char *out;
	unsigned i;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: verbs_hello NODE SEGID\n");
		return 2;
	}
	if ((rc = rsm_get_controller("verbs0", &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(ctlr,
	    (rsm_node_id_t)strtol(argv[1], NULL, 0),
	    (rsm_memseg_id_t)strtol(argv[2], NULL, 0), RSM_PERM_RDWR, &a)) !=
	    RSM_SUCCESS) {
		fprintf(stderr, "verbs_hello: import: %d\n", rc);
		return 1;
	}
	cap = &((struct rsm_import *)(void *)a)->cap;
	if (cap->family != RSM_CAP_INET || cap->kind != RSM_CAPK_VERBS) {
		fprintf(stderr, "verbs_hello: not an IPv4 verbs capability\n");
		return 1;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if ((out = attempt(cap, kinds[i])) == NULL) {
			fprintf(stderr, "verbs_hello: %s: setup failed\n",
			    kinds[i]);
			return 1;
		}
		printf("%s%s=%s", i ? " " : "", kinds[i], out);
	}
	printf("\n");
	(void)rsm_memseg_import_disconnect(a);
	return 0;
}
