/*
 * rsm_demo.c - two processes talk through one RSM segment, on one node or
 * on two.
 *
 *   rsm_demo export SEGID [-c CTLR] [-a NODE]...
 *        export a page through controller CTLR (default loopback),
 *        publish it as SEGID for this node and every NODE given with -a,
 *        write a greeting, wait for the importer's answer, acknowledge it,
 *        wait until the importer is done
 *   rsm_demo import SEGID [-n NODE] [-c CTLR] [-l SECONDS]
 *        connect through controller CTLR (default loopback) to SEGID on
 *        NODE (default this node), read the greeting with get, write an
 *        answer inside a barrier, signal, wait for the acknowledgement;
 *        with -l, stay connected that long before leaving
 *
 * A controller that can map imports (loopback, shm0) gets the answer
 * through a mapping; one that cannot (tcp0, the way to another node) gets
 * it with put.  Signals cross nodes through the daemons either way.
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

#include "rsm_err.h"

/* Slots in the segment, each a NUL-terminated string. */
#define SLOT_GREETING	0	/* written by the exporter */
#define SLOT_ANSWER	256	/* written by the importer */
#define SLOT_ACK	512	/* written by the exporter */
#define SLOT_LEN	256

#define WAIT_MS		30000	/* longest wait for the peer's signal */
#define CONNECT_MS	10000	/* how long an importer waits for a publish */
#define MAX_ADMIT	8	/* -a NODE entries an exporter takes */

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
	fprintf(stderr, "usage: %s export SEGID [-c CTLR] [-a NODE]...\n"
	    "       %s import SEGID [-n NODE] [-c CTLR] [-l SECONDS]\n",
	    prog, prog);
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

/* A decimal number from MIN to MAX, else usage. */
static long
parse_num(const char *s, long min, long max)
{
	long v;
	char *end;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage();
	return v;
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
do_export(rsm_memseg_id_t segid, char *ctlr_name,
    const rsm_node_id_t *admit, size_t nadmit)
{
	const char *side = "exporter";
	rsmapi_controller_handle_t ctlr;
	rsmapi_controller_attr_t attr;
	rsm_memseg_export_handle_t seg;
	rsmapi_access_entry_t acl[1 + MAX_ADMIT];
	char nodes[16 * (1 + MAX_ADMIT)];
	rsm_node_id_t node;
	size_t size, i, off;
	uint_t nacl;
	char *buf;
	int rc, failed = 1;

	if ((rc = rsm_get_controller(ctlr_name, &ctlr)) != RSM_SUCCESS)
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
	snprintf(buf + SLOT_GREETING, SLOT_LEN,
	    "hello from exporter pid %ld on node %u", (long)getpid(), node);

	if ((rc = rsm_memseg_export_create(ctlr, &seg, buf, size, 0)) !=
	    RSM_SUCCESS) {
		fail(side, "rsm_memseg_export_create", rc);
		goto unmap;
	}
	/*
	 * This node and every admitted one, read and write for everyone
	 * there.  A loopback segment admits this node only (spec 4.4).
	 */
	acl[0].ae_node = node;
	acl[0].ae_permission = 0666;
	nacl = 1;
	off = (size_t)snprintf(nodes, sizeof(nodes), "%u", node);
	for (i = 0; i < nadmit; i++) {
		if (admit[i] == node)
			continue;
		acl[nacl].ae_node = admit[i];
		acl[nacl].ae_permission = 0666;
		nacl++;
		off += (size_t)snprintf(nodes + off, sizeof(nodes) - off,
		    " and %u", admit[i]);
	}
	if ((rc = rsm_memseg_export_publish(seg, &segid, acl, nacl)) !=
	    RSM_SUCCESS) {
		fail(side, "rsm_memseg_export_publish", rc);
		goto destroy;
	}
	printf("exporter: published segment %#x (%zu bytes) on node %u "
	    "through %s, open to node%s %s\n", segid, size, node, ctlr_name,
	    nacl > 1 ? "s" : "", nodes);
	printf("exporter: wrote \"%s\"\n", buf + SLOT_GREETING);
	fflush(stdout);

	/* The importer signals once its answer is in the segment. */
	if ((rc = rsm_intr_signal_wait(seg, WAIT_MS)) != RSM_SUCCESS) {
		fail(side, "rsm_intr_signal_wait (answer)", rc);
		goto unpublish;
	}
	buf[SLOT_ANSWER + SLOT_LEN - 1] = '\0';
	printf("exporter: got a signal, received \"%s\"\n", buf + SLOT_ANSWER);
	snprintf(buf + SLOT_ACK, SLOT_LEN, "exporter pid %ld on node %u got "
	    "your answer", (long)getpid(), node);
	/* Stores to our own pages are visible before the event is posted. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if ((rc = rsm_intr_signal_post(seg, 0)) != RSM_SUCCESS) {
		fail(side, "rsm_intr_signal_post", rc);
		goto unpublish;
	}
	printf("exporter: wrote \"%s\" and signalled\n", buf + SLOT_ACK);
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

/*
 * The exporter may not have published yet, and the link to its node may
 * still be coming up: retry for a while.
 */
static int
connect_retry(rsmapi_controller_handle_t ctlr, rsm_node_id_t node,
    rsm_memseg_id_t segid, rsm_memseg_import_handle_t *imp)
{
	long waited;
	int rc;

	for (waited = 0;; waited += 50) {
		rc = rsm_memseg_import_connect(ctlr, node, segid,
		    RSM_PERM_RDWR, imp);
		if ((rc != RSMERR_SEG_NOT_PUBLISHED &&
		    rc != RSMERR_REMOTE_NODE_UNREACHABLE) || waited >= CONNECT_MS)
			return rc;
		sleep_ms(50);
	}
}

/*
 * node < 0: this node.  A controller whose import map size is 0 (tcp0)
 * cannot map: the answer then goes with put.
 */
static int
do_import(rsm_memseg_id_t segid, long node_arg, char *ctlr_name,
    long linger_s)
{
	const char *side = "importer";
	rsmapi_controller_handle_t ctlr;
	rsmapi_controller_attr_t attr;
	rsm_memseg_import_handle_t imp;
	rsmapi_barrier_t bar;
	rsm_node_id_t self, node;
	char greeting[SLOT_LEN], ack[SLOT_LEN], answer[SLOT_LEN];
	void *addr = NULL;
	char *map = NULL;
	int rc, can_map, failed = 1;

	if ((rc = rsm_get_controller(ctlr_name, &ctlr)) != RSM_SUCCESS)
		return fail(side, "rsm_get_controller", rc);
	if ((rc = rsm_get_controller_attr(ctlr, &attr)) != RSM_SUCCESS) {
		fail(side, "rsm_get_controller_attr", rc);
		goto release;
	}
	if ((rc = local_node(&self)) != RSM_SUCCESS) {
		fail(side, "rsm_get_interconnect_topology", rc);
		goto release;
	}
	node = node_arg < 0 ? self : (rsm_node_id_t)node_arg;
	can_map = attr.attr_max_import_map_size >= attr.attr_page_size;
	if ((rc = connect_retry(ctlr, node, segid, &imp)) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_connect", rc);
		goto release;
	}
	printf("importer: on node %u, connected to segment %#x on node %u "
	    "through %s (%s)\n", self, segid, node, ctlr_name,
	    can_map ? "mapped" : "put/get");

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
	if (can_map) {
		if ((rc = rsm_memseg_import_map(imp, &addr, RSM_MAP_NONE,
		    RSM_PERM_RDWR, 0, attr.attr_page_size)) != RSM_SUCCESS) {
			fail(side, "rsm_memseg_import_map", rc);
			goto destroy_barrier;
		}
		map = addr;
	}
	if ((rc = rsm_memseg_import_get(imp, SLOT_GREETING, greeting,
	    sizeof(greeting))) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_get", rc);
		goto unmap;
	}
	greeting[sizeof(greeting) - 1] = '\0';
	printf("importer: read \"%s\"\n", greeting);

	/* Answer inside a barrier, to learn of any loss at its close. */
	snprintf(answer, sizeof(answer), "hello back from importer pid %ld "
	    "on node %u", (long)getpid(), self);
	if ((rc = rsm_memseg_import_open_barrier(&bar)) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_open_barrier", rc);
		goto unmap;
	}
	if (map != NULL)
		memcpy(map + SLOT_ANSWER, answer, strlen(answer) + 1);
	else if ((rc = rsm_memseg_import_put(imp, SLOT_ANSWER, answer,
	    strlen(answer) + 1)) != RSM_SUCCESS) {
		fail(side, "rsm_memseg_import_put", rc);
		(void)rsm_memseg_import_close_barrier(&bar);
		goto unmap;
	}
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
	printf("importer: got a signal, received \"%s\"\n", ack);
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
	if (map != NULL &&
	    (rc = rsm_memseg_import_unmap(imp)) != RSM_SUCCESS)
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
	rsm_node_id_t admit[MAX_ADMIT];
	size_t nadmit = 0;
	static char loopback[] = "loopback";
	char *ctlr = loopback;
	long node = -1, linger_s = 0;
	int exporting, i;

	if (argc < 3 || parse_segid(argv[2], &segid) != 0)
		usage();
	if (strcmp(argv[1], "export") == 0)
		exporting = 1;
	else if (strcmp(argv[1], "import") == 0 && segid != 0)
		exporting = 0;
	else
		usage();
	/* Options after SEGID, each with its value. */
	for (i = 3; i < argc; i += 2) {
		if (i + 1 >= argc || argv[i][0] != '-' || argv[i][1] == '\0' ||
		    argv[i][2] != '\0')
			usage();
		switch (argv[i][1]) {
		case 'c':
			ctlr = argv[i + 1];
			break;
		case 'a':
			if (!exporting || nadmit == MAX_ADMIT)
				usage();
			admit[nadmit++] = (rsm_node_id_t)parse_num(argv[i + 1],
			    0, 65535);
			break;
		case 'n':
			if (exporting)
				usage();
			node = parse_num(argv[i + 1], 0, 65535);
			break;
		case 'l':
			if (exporting)
				usage();
			linger_s = parse_num(argv[i + 1], 0, 3600);
			break;
		default:
			usage();
		}
	}
	if (exporting)
		return do_export(segid, ctlr, admit, nadmit);
	return do_import(segid, node, ctlr, linger_s);
}
