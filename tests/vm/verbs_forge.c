/*
 * verbs_forge.c - a read-only importer that steals a read-write
 * importer's rkey (test_verbs.sh, in the guest).
 *
 *   verbs_forge NODE SEGID
 *
 * Imports SEGID of NODE twice through verbs0, A read-write and B
 * read-only, then makes B's queue pair use A's rkey and write: what a
 * process could do with raw verbs on its own queue pair once it learned
 * another importer's rkey.  With a memory window per queue pair the
 * exporting device refuses the write (the window is bound to A's queue
 * pair); with shared memory regions it lands.  The library's own checks
 * are bypassed on purpose: the rights of B's handle are set to read-write
 * in its private state, so only the hardware stands in the way.
 *
 * Prints one line "rkeys_differ=0|1 forged_put=RC landed=0|1 a_ok=0|1",
 * where landed says whether B's bytes reached the segment (read back
 * through A) and a_ok whether A still works afterwards; exit 0 unless
 * the setup itself failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rsmapi.h>

#include "rsm_int.h"
#include "verbs/verbs.h"

static struct verbs_conn *
conn_of(rsm_memseg_import_handle_t h)
{
	return to_verbs_conn(&((struct rsm_import *)(void *)h)->xs);
}

int
main(int argc, char **argv)
{
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_import_handle_t a, b;
	rsmapi_barrier_t bar, bar_a;
	struct verbs_conn *ca, *cb;
	struct rsm_import *ib;
	unsigned char mine[64], back[64], orig[64];
	int rc, forged, landed, a_ok;
	long node, segid;

	if (argc != 3) {
		fprintf(stderr, "usage: verbs_forge NODE SEGID\n");
		return 2;
	}
	node = strtol(argv[1], NULL, 0);
	segid = strtol(argv[2], NULL, 0);
	if ((rc = rsm_get_controller("verbs0", &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(ctlr, (rsm_node_id_t)node,
	    (rsm_memseg_id_t)segid, RSM_PERM_RDWR, &a)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(ctlr, (rsm_node_id_t)node,
	    (rsm_memseg_id_t)segid, RSM_PERM_READ, &b)) != RSM_SUCCESS) {
		fprintf(stderr, "verbs_forge: setup: %d\n", rc);
		return 1;
	}
	ca = conn_of(a);
	cb = conn_of(b);
	if (ca == NULL || cb == NULL) {
		fprintf(stderr, "verbs_forge: no queue pair\n");
		return 1;
	}
	/* Implicit mode: each get is barriered through bar_a. */
	if ((rc = rsm_memseg_import_init_barrier(a, RSM_BAR_DEFAULT,
	    &bar_a)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_get(a, 0, orig, sizeof(orig))) !=
	    RSM_SUCCESS) {
		fprintf(stderr, "verbs_forge: get through A: %d\n", rc);
		return 1;
	}
	/* Bytes the segment does not hold yet. */
	memcpy(mine, orig, sizeof(mine));
	for (size_t i = 0; i < sizeof(mine); i++)
		mine[i] = (unsigned char)~mine[i];
	printf("rkeys_differ=%d ", ca->rkey != cb->rkey);

	/* B forges: A's rkey, and rights its handle was never granted. */
	ib = (struct rsm_import *)(void *)b;
	cb->rkey = ca->rkey;
	cb->granted = RSM_PERM_RDWR;
	ib->granted = RSM_PERM_RDWR;
	ib->win_perm = RSM_PERM_RDWR;
	if ((rc = rsm_memseg_import_init_barrier(b, RSM_BAR_DEFAULT, &bar)) !=
	    RSM_SUCCESS ||
	    (rc = rsm_memseg_import_set_mode(b, RSM_BARRIER_MODE_EXPLICIT)) !=
	    RSM_SUCCESS ||
	    (rc = rsm_memseg_import_open_barrier(&bar)) != RSM_SUCCESS) {
		fprintf(stderr, "verbs_forge: barrier: %d\n", rc);
		return 1;
	}
	forged = rsm_memseg_import_put(b, 0, mine, sizeof(mine));
	rc = rsm_memseg_import_close_barrier(&bar);
	if (forged == RSM_SUCCESS)
		forged = rc;
	printf("forged_put=%d ", forged);

	a_ok = rsm_memseg_import_get(a, 0, back, sizeof(back)) == RSM_SUCCESS;
	landed = a_ok && memcmp(back, mine, sizeof(back)) == 0;
	printf("landed=%d a_ok=%d\n", landed, a_ok);
	(void)rsm_memseg_import_destroy_barrier(&bar);
	(void)rsm_memseg_import_destroy_barrier(&bar_a);
	(void)rsm_memseg_import_disconnect(b);
	(void)rsm_memseg_import_disconnect(a);
	return 0;
}
