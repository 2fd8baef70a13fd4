/*
 * rsm_demo.c - two processes talk through one RSM segment on this node.
 *
 *   rsm_demo export SEGID    export a page, publish it as SEGID, write a
 *                            greeting, wait for the importer's answer,
 *                            acknowledge it, wait until the importer is done
 *   rsm_demo import SEGID [-l SECONDS]
 *                            connect to SEGID, map it, read the greeting
 *                            with get, write an answer through the mapping,
 *                            signal,
 *                            wait for the acknowledgement; with -l, stay
 *                            connected that long before leaving
 *
 * The segment is one page laid out as three text slots (below).  Every
 * RSMAPI call is checked and a failure is printed by its RSMERR name.
 * Every wait is bounded, so a missing peer ends the demo with an error
 * instead of hanging it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rsmapi.h>

#include "rsmerr.h"

/* Slots in the segment, each a NUL-terminated string. */
#define SLOT_GREETING	0	/* written by the exporter */
#define SLOT_ANSWER	256	/* written by the importer */
#define SLOT_ACK	512	/* written by the exporter */
#define SLOT_LEN	256

#define WAIT_MS		30000	/* longest wait for the peer's signal */
#define CONNECT_MS	10000	/* how long an importer waits for a publish */

static const char *prog = "rsm_demo";

/* Print the failed call and its error name; returns 1 for "failed". */
static int
fail(const char *side, const char *call, int rc)
{
	fprintf(stderr, "%s: %s: %s: %s\n", prog, side, call, rsm_err_name(rc));
	return 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: %s export SEGID\n"
	    "       %s import SEGID [-l SECONDS]\n", prog, prog);
	exit(1);
}

static int
parse_segid(const char *s, rsm_memseg_id_t *id)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX ||
	    s[0] == '-')
		return -1;
	*id = (rsm_memseg_id_t)v;
	return 0;
}

/* This node's id, from the daemon's view of the interconnect. */
static int
local_node(rsm_node_id_t *node)
{
	rsm_topology_t *topo = NULL;
	int rc;

	if ((rc = rsm_get_interconnect_topology(&topo)) != RSM_SUCCESS)
		return rc;
	*node = topo->topology_hdr.local_nodeid;
	rsm_free_interconnect_topology(topo);
	return RSM_SUCCESS;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- exporter ---- */

static int
do_export(rsm_memseg_id_t segid)
{
	const char *side = "exporter";
	rsmapi_controller_handle_t ctlr;
	rsmapi_controller_attr_t attr;
	rsm_memseg_export_handle_t seg;
	rsmapi_access_entry_t acl[1];
	rsm_node_id_t node;
	size_t size;
	char *buf;
	int rc, failed = 1;

	if ((rc = rsm_get_controller("loopback", &ctlr)) != RSM_SUCCESS)
		return fail(side, "rsm_get_controller", rc);
	if ((rc = rsm_get_controller_attr(ctlr, &attr)) != RSM_SUCCESS) {
		fail(side, "rsm_get_controller_attr", rc);
		goto release;
	}
	if ((rc = local_node(&node)) != RSM_SUCCESS) {
		fail(side, "rsm_get_interconnect_topology", rc);
		goto release;
	}

	/* export_create wants whole pages of private, writable memory. */
	size = attr.attr_page_size;
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		perror("rsm_demo: exporter: mmap");
		goto release;
	}
	snprintf(buf + SLOT_GREETING, SLOT_LEN, "hello from exporter pid %ld",
	    (long)getpid());

	if ((rc = rsm_memseg_export_create(ctlr, &seg, buf, size, 0)) !=
	    RSM_SUCCESS) {
		fail(side, "rsm_memseg_export_create", rc);
		goto unmap;
	}
	/* Only this node, read and write for everyone on it. */
	acl[0].ae_node = node;
	acl[0].ae_permission = 0666;
	if ((rc = rsm_memseg_export_publish(seg, &segid, acl, 1)) !=
	    RSM_SUCCESS) {
		fail(side, "rsm_memseg_export_publish", rc);
		goto destroy;
	}
	printf("exporter: published segment %#x (%zu bytes) on node %u\n",
	    segid, size, node);
	printf("exporter: wrote \"%s\"\n", buf + SLOT_GREETING);
	fflush(stdout);

	/* The importer signals once its answer is in the segment. */
	if ((rc = rsm_intr_signal_wait(seg, WAIT_MS)) != RSM_SUCCESS) {
		fail(side, "rsm_intr_signal_wait (answer)", rc);
		goto unpublish;
	}
	buf[SLOT_ANSWER + SLOT_LEN - 1] = '\0';
	printf("exporter: received \"%s\"\n", buf + SLOT_ANSWER);
	snprintf(buf + SLOT_ACK, SLOT_LEN, "exporter pid %ld got your answer",
	    (long)getpid());
	/* Stores to our own pages are visible before the event is posted. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((rc = rsm_intr_signal_post(seg, 0)) != RSM_SUCCESS) {
		fail(side, "rsm_intr_signal_post", rc);
		goto unpublish;
	}
	printf("exporter: acknowledged\n");
	fflush(stdout);

	/* Unpublishing revokes importers: wait until ours says it is done. */
	if ((rc = rsm_intr_signal_wait(seg, WAIT_MS)) != RSM_SUCCESS) {
		fail(side, "rsm_intr_signal_wait (done)", rc);
		goto unpublish;
	}
	printf("exporter: importer done\n");
	failed = 0;

unpublish:
	if ((rc = rsm_memseg_export_unpublish(seg)) != RSM_SUCCESS)
		failed = fail(side, "rsm_memseg_export_unpublish", rc);
destroy:
	if ((rc = rsm_memseg_export_destroy(seg)) != RSM_SUCCESS)
		failed = fail(side, "rsm_memseg_export_destroy", rc);
unmap:
	munmap(buf, size);
release:
	if ((rc = rsm_release_controller(ctlr)) != RSM_SUCCESS)
		failed = fail(side, "rsm_release_controller", rc);
	if (!failed)
		printf("exporter: done\n");
	return failed;
}

/* ---- importer ---- */

/* The exporter may not have published yet: retry for a while. */
static int
connect_retry(rsmapi_controller_handle_t ctlr, rsm_node_id_t node,
    rsm_memseg_id_t segid, rsm_memseg_import_handle_t *imp)
{
	long waited;
	int rc;

	for (waited = 0;; waited += 50) {
		rc = rsm_memseg_import_connect(ctlr, node, segid,
		    RSM_PERM_RDWR, imp);
		if (rc != RSMERR_SEG_NOT_PUBLISHED || waited >= CONNECT_MS)
			return rc;
		sleep_ms(50);
	}
}

static int
do_import(rsm_memseg_id_t segid, long linger_s)
{
	const char *side = "importer";
	rsmapi_controller_handle_t ctlr;
	rsmapi_controller_attr_t attr;
	rsm_memseg_import_handle_t imp;
	rsmapi_barrier_t bar;
	rsm_node_id_t node;
	char greeting[SLOT_LEN], ack[SLOT_LEN], answer[SLOT_LEN];
	void *addr = NULL;
	char *map;
	int rc, failed = 1;

	if ((rc = rsm_get_controller("loopback", &ctlr)) != RSM_SUCCESS)
		return fail(side, "rsm_get_controller", rc);
	if ((rc = rsm_get_controller_attr(ctlr, &attr)) != RSM_SUCCESS) {
		fail(side, "rsm_get_controller_attr", rc);
		goto release;
	}
	if ((rc = local_node(&node)) != RSM_SUCCESS) {
		fail(side, "rsm_get_interconnect_topology", rc);
		goto release;
	}
	if ((rc = connect_retry(ctlr, node, segid, &imp)) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_connect", rc);
		goto release;
	}
	printf("importer: connected to segment %#x on node %u\n", segid, node);

	/* Implicit barrier mode (the default) needs a barrier for put/get. */
	if ((rc = rsm_memseg_import_init_barrier(imp, RSM_BAR_DEFAULT, &bar)) !=
	    RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_init_barrier", rc);
		goto disconnect;
	}
	/*
	 * A handle has one mapping; get/put made first would map the whole
	 * segment implicitly and this explicit map would be refused.  So map
	 * first: get and put then work inside the mapped window.
	 */
	if ((rc = rsm_memseg_import_map(imp, &addr, RSM_MAP_NONE,
	    RSM_PERM_RDWR, 0, attr.attr_page_size)) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_map", rc);
		goto destroy_barrier;
	}
	map = addr;
	if ((rc = rsm_memseg_import_get(imp, SLOT_GREETING, greeting,
	    sizeof(greeting))) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_get", rc);
		goto unmap;
	}
	greeting[sizeof(greeting) - 1] = '\0';
	printf("importer: read \"%s\"\n", greeting);

	/* Answer through the mapping, inside a barrier to learn of loss. */
	snprintf(answer, sizeof(answer), "hello back from importer pid %ld",
	    (long)getpid());
	if ((rc = rsm_memseg_import_open_barrier(&bar)) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_open_barrier", rc);
		goto unmap;
	}
	memcpy(map + SLOT_ANSWER, answer, strlen(answer) + 1);
	if ((rc = rsm_memseg_import_close_barrier(&bar)) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_close_barrier", rc);
		goto unmap;
	}
	if ((rc = rsm_intr_signal_post(imp, 0)) != RSM_SUCCESS) {
		fail(side, "rsm_intr_signal_post (answer)", rc);
		goto unmap;
	}
	printf("importer: wrote \"%s\" and signalled\n", answer);
	fflush(stdout);

	if ((rc = rsm_intr_signal_wait(imp, WAIT_MS)) != RSM_SUCCESS) {
		fail(side, "rsm_intr_signal_wait", rc);
		goto unmap;
	}
	if ((rc = rsm_memseg_import_get(imp, SLOT_ACK, ack, sizeof(ack))) !=
	    RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_get", rc);
		goto unmap;
	}
	ack[sizeof(ack) - 1] = '\0';
	printf("importer: received \"%s\"\n", ack);
	fflush(stdout);

	if (linger_s > 0) {
		printf("importer: staying connected for %ld s\n", linger_s);
		fflush(stdout);
		sleep_ms(linger_s * 1000);
	}
	/* Tell the exporter it may unpublish now. */
	if ((rc = rsm_intr_signal_post(imp, 0)) != RSM_SUCCESS) {
		fail(side, "rsm_intr_signal_post (done)", rc);
		goto unmap;
	}
	failed = 0;

unmap:
	if ((rc = rsm_memseg_import_unmap(imp)) != RSM_SUCCESS)
		failed = fail(side, "rsm_memseg_import_unmap", rc);
destroy_barrier:
	if ((rc = rsm_memseg_import_destroy_barrier(&bar)) != RSM_SUCCESS)
		failed = fail(side, "rsm_memseg_import_destroy_barrier", rc);
disconnect:
	if ((rc = rsm_memseg_import_disconnect(imp)) != RSM_SUCCESS)
		failed = fail(side, "rsm_memseg_import_disconnect", rc);
release:
	if ((rc = rsm_release_controller(ctlr)) != RSM_SUCCESS)
		failed = fail(side, "rsm_release_controller", rc);
	if (!failed)
		printf("importer: done\n");
	return failed;
}

int
main(int argc, char *argv[])
{
	rsm_memseg_id_t segid;
	long linger_s = 0;
	char *end;

	if (argc < 3 || parse_segid(argv[2], &segid) != 0)
		usage();
	if (strcmp(argv[1], "export") == 0 && argc == 3)
		return do_export(segid);
	if (strcmp(argv[1], "import") != 0 || segid == 0)
		usage();
	if (argc == 5 && strcmp(argv[3], "-l") == 0) {
		errno = 0;
		linger_s = strtol(argv[4], &end, 10);
		if (errno != 0 || *end != '\0' || linger_s < 0 ||
		    linger_s > 3600)
			usage();
	} else if (argc != 3)
		usage();
	return do_import(segid, linger_s);
}
