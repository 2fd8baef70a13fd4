/*
 * ucx_hello.c - a raw UCP client against the ucx0 listener of an
 * exporting rsmd (test_ucx.sh): what someone who saw an import's
 * handshake on the wire, or who reaches the listener at all, could try.
 *
 *   ucx_hello NODE SEGID ATTEMPT...
 *
 * Imports SEGID of NODE through ucx0 (a live capability to aim at; that
 * import's own handshake is a good one), prints "token=HEX" (the test
 * looks for those bytes on the wire), then opens one endpoint of its own
 * to the capability's address per ATTEMPT, as rsm_ucx_wire.h describes:
 *   old      version 1's HELLO: the raw token where the public id now is
 *   replay   the public id, then a proof for another nonce than the one
 *            the daemon's CHALLENGE carried (a proof seen on the wire)
 *   unknown  a HELLO naming an id no capability has
 *   twice    a HELLO, its CHALLENGE, and a second HELLO
 *   short    a HELLO 8 bytes short
 *   right    the public id and the proof for this CHALLENGE: the daemon's
 *            READY must arrive, which shows the client itself is sound,
 *            so that the refusals above mean something
 * and prints "ATTEMPT=R ..." on one line, each R being ready (READY with
 * RSM_SUCCESS and an rkey), refused (the endpoint closed by the daemon,
 * or a READY with an error), or timeout.
 * Exit 0 unless the setup itself failed.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rsmapi.h>

#include "rsm_int.h"
#include "rsm_data.h"
#include "rsm_ucx_wire.h"
#include "ucx_dl.h"

#define WAIT_MS		3000

/* What the daemon sent the endpoint of the attempt under way. */
static struct {
	int		 failed;	/* the endpoint's error handler ran */
	int		 challenged;
	struct rsm_ucx_challenge chal;
	int		 ready;
	struct rsm_ucx_ready r;
} got;

static const struct ucx_dl *u;
static ucp_worker_h worker;

static long
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
ep_failed(void *arg, ucp_ep_h ep, ucs_status_t status)
{
	(void)arg;
	(void)ep;
	(void)status;
	got.failed = 1;
}

static ucs_status_t
on_challenge(void *arg, const void *header, size_t header_length,
    void *data, size_t length, const ucp_am_recv_param_t *param)
{
	(void)arg;
	(void)data;
	(void)length;
	(void)param;
	if (header_length == sizeof(got.chal)) {
		memcpy(&got.chal, header, sizeof(got.chal));
		got.challenged = 1;
	}
	return UCS_OK;
}

static ucs_status_t
on_ready(void *arg, const void *header, size_t header_length, void *data,
    size_t length, const ucp_am_recv_param_t *param)
{
	(void)arg;
	(void)data;
	(void)param;
	if (header_length == sizeof(got.r)) {
		memcpy(&got.r, header, sizeof(got.r));
		got.ready = got.r.status == RSM_SUCCESS && length != 0 &&
		    got.r.rkey_len == length ? 1 : -1;
	}
	return UCS_OK;
}

/* Progress until *flag or the endpoint failed: 0, or -1 at the deadline. */
static int
wait_for(const int *flag)
{
	long end = now_ms() + WAIT_MS;

	while (!*flag && !got.failed) {
		if (u->worker_progress(worker) != 0)
			continue;
		if (now_ms() > end)
			return -1;
	}
	return 0;
}

static int
send_am(ucp_ep_h ep, unsigned id, const void *msg, size_t len)
{
	ucp_request_param_t p;
	ucs_status_ptr_t req;
	long end = now_ms() + WAIT_MS;
	ucs_status_t st;

	memset(&p, 0, sizeof(p));
	p.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
	p.flags = UCP_AM_SEND_FLAG_REPLY | UCP_AM_SEND_FLAG_EAGER;
	req = u->am_send_nbx(ep, id, msg, len, NULL, 0, &p);
	if (req == NULL)
		return 0;
	if (UCS_PTR_IS_ERR(req))
		return -1;
	while ((st = u->request_check_status(req)) == UCS_INPROGRESS &&
	    now_ms() < end)
		(void)u->worker_progress(worker);
	u->request_free(req);
	return st == UCS_OK ? 0 : -1;
}

static ucp_ep_h
ep_open(const struct rsm_wire_cap *cap)
{
	struct sockaddr_in sin;
	ucp_ep_params_t p;
	ucp_ep_h ep;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	memcpy(&sin.sin_addr, cap->addr, 4);
	sin.sin_port = htons(cap->port);
	memset(&p, 0, sizeof(p));
	p.field_mask = UCP_EP_PARAM_FIELD_SOCK_ADDR |
	    UCP_EP_PARAM_FIELD_FLAGS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE |
	    UCP_EP_PARAM_FIELD_ERR_HANDLER;
	p.flags = UCP_EP_PARAMS_FLAGS_CLIENT_SERVER;
	p.sockaddr.addr = (const struct sockaddr *)&sin;
	p.sockaddr.addrlen = sizeof(sin);
	p.err_mode = UCP_ERR_HANDLING_MODE_PEER;
	p.err_handler.cb = ep_failed;
	return u->ep_create(worker, &p, &ep) == UCS_OK ? ep : NULL;
}

static void
ep_close(ucp_ep_h ep)
{
	ucp_request_param_t p = { .op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS,
	    .flags = UCP_EP_CLOSE_FLAG_FORCE };
	ucs_status_ptr_t req = u->ep_close_nbx(ep, &p);
	long end = now_ms() + WAIT_MS;

	if (UCS_PTR_IS_PTR(req)) {
		while (u->request_check_status(req) == UCS_INPROGRESS &&
		    now_ms() < end)
			(void)u->worker_progress(worker);
		u->request_free(req);
	}
}

/* What came of an attempt, once its last wait is over. */
static const char *
outcome(void)
{
	if (got.ready == 1)
		return "ready";
	if (got.failed || got.ready == -1)
		return "refused";
	return "timeout";
}

static const char *
attempt(const struct rsm_wire_cap *cap, const char *kind)
{
	struct rsm_ucx_hello h;
	struct rsm_ucx_proof pr;
	const char *out;
	ucp_ep_h ep;
	size_t hlen = sizeof(h);

	memset(&got, 0, sizeof(got));
	if ((ep = ep_open(cap)) == NULL)
		return NULL;
	memset(&h, 0, sizeof(h));
	h.magic = RSM_UCX_MAGIC;
	h.version = RSM_UCX_VERSION;
	h.cookie = 7;
	rsm_data_cap_id(cap->token, h.cap_id);
	if (strcmp(kind, "old") == 0) {
		/* magic, a zero pad, the cookie, the token: 32 bytes too. */
		_Static_assert(sizeof(h) == 16 + RSM_CAP_TOKEN_LEN,
		    "version 1's HELLO size");
		h.version = 0;
		memcpy(h.cap_id, cap->token, RSM_CAP_TOKEN_LEN);
	} else if (strcmp(kind, "unknown") == 0) {
		h.cap_id[0] ^= 0xa5;
	} else if (strcmp(kind, "short") == 0) {
		hlen -= 8;
	}
	if (send_am(ep, RSM_UCX_AM_HELLO, &h, hlen) != 0) {
		out = "refused";
		goto done;
	}
	/* Refused at HELLO: the daemon closes the endpoint. */
	(void)wait_for(&got.challenged);
	if (!got.challenged) {
		out = outcome();
		goto done;
	}
	if (strcmp(kind, "twice") == 0) {
		(void)send_am(ep, RSM_UCX_AM_HELLO, &h, sizeof(h));
		(void)wait_for(&got.ready);
		out = outcome();
		goto done;
	}
	memset(&pr, 0, sizeof(pr));
	pr.magic = RSM_UCX_MAGIC;
	pr.version = RSM_UCX_VERSION;
	pr.cookie = h.cookie;
	/* A proof seen on another endpoint: made for another nonce. */
	if (strcmp(kind, "replay") == 0)
		got.chal.nonce[0] ^= 0x5a;
	rsm_data_hello_prove_ucx(cap->token, got.chal.nonce, &pr.hello);
	if (send_am(ep, RSM_UCX_AM_PROOF, &pr, sizeof(pr)) != 0) {
		out = "refused";
		goto done;
	}
	(void)wait_for(&got.ready);
	out = outcome();
done:
	ep_close(ep);
	return out;
}

static int
worker_make(void)
{
	ucp_am_handler_param_t ap;
	ucp_worker_params_t wp;
	ucp_context_h ctx;
	ucp_config_t *cfg;
	ucp_params_t pp;

	if ((u = ucx_dl_open()) == NULL) {
		fprintf(stderr, "ucx_hello: %s\n", ucx_dl_why());
		return -1;
	}
	memset(&pp, 0, sizeof(pp));
	pp.field_mask = UCP_PARAM_FIELD_FEATURES;
	pp.features = UCP_FEATURE_AM;
	if (u->config_read(NULL, NULL, &cfg) != UCS_OK)
		return -1;
	if (ucx_dl_init(u, &pp, cfg, &ctx) != UCS_OK) {
		u->config_release(cfg);
		return -1;
	}
	u->config_release(cfg);
	memset(&wp, 0, sizeof(wp));
	wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
	wp.thread_mode = UCS_THREAD_MODE_SINGLE;
	if (u->worker_create(ctx, &wp, &worker) != UCS_OK)
		return -1;
	memset(&ap, 0, sizeof(ap));
	ap.field_mask = UCP_AM_HANDLER_PARAM_FIELD_ID |
	    UCP_AM_HANDLER_PARAM_FIELD_CB;
	ap.id = RSM_UCX_AM_CHALLENGE;
	ap.cb = on_challenge;
	if (u->worker_set_am_recv_handler(worker, &ap) != UCS_OK)
		return -1;
	ap.id = RSM_UCX_AM_READY;
	ap.cb = on_ready;
	return u->worker_set_am_recv_handler(worker, &ap) == UCS_OK ? 0 : -1;
}

int
main(int argc, char **argv)
{
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_import_handle_t a;
	const struct rsm_wire_cap *cap;
	const char *out;
	unsigned j;
	int i, rc;

	if (argc < 4) {
		fprintf(stderr, "usage: ucx_hello NODE SEGID ATTEMPT...\n");
		return 2;
	}
	if ((rc = rsm_get_controller("ucx0", &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(ctlr,
	    (rsm_node_id_t)strtol(argv[1], NULL, 0),
	    (rsm_memseg_id_t)strtol(argv[2], NULL, 0), RSM_PERM_RDWR, &a)) !=
	    RSM_SUCCESS) {
		fprintf(stderr, "ucx_hello: import: %d\n", rc);
		return 1;
	}
	cap = &((struct rsm_import *)(void *)a)->cap;
	if (cap->family != RSM_CAP_INET || cap->kind != RSM_CAPK_UCX) {
		fprintf(stderr, "ucx_hello: not an IPv4 ucx capability\n");
		return 1;
	}
	if (worker_make() != 0) {
		fprintf(stderr, "ucx_hello: no UCP worker\n");
		return 1;
	}
	printf("token=");
	for (j = 0; j < RSM_CAP_TOKEN_LEN; j++)
		printf("%02x", cap->token[j]);
	printf("\n");
	for (i = 3; i < argc; i++) {
		if ((out = attempt(cap, argv[i])) == NULL) {
			fprintf(stderr, "ucx_hello: %s: setup failed\n",
			    argv[i]);
			return 1;
		}
		printf("%s%s=%s", i > 3 ? " " : "", argv[i], out);
	}
	printf("\n");
	fflush(stdout);
	(void)rsm_memseg_import_disconnect(a);
	return 0;
}
