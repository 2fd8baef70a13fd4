/*
 * job_args.c - rsm_job(3RSM)'s argument checks, in a job of one process
 * (no launcher, no RSM_JOB_* variables) against this node's rsmd: every
 * bad argument is refused with the documented error, and the calls of a
 * good job work.  Prints "ok"/"FAIL" lines; exits 1 on a failure.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "rsm/rsm_job.h"

static int fails;

static void
expect(const char *what, int got, int want)
{
	printf("%s - %s (%d)\n", got == want ? "ok  " : "FAIL", what, got);
	fails += got != want;
}

int
main(void)
{
	rsm_job_t job = NULL;
	uint32_t u, all[2];
	rsm_node_id_t node;
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t seg;
	rsm_job_seg_t segs[1];
	char big[RSM_JOB_MAX_VALUE + 1];
	int l;
	void *mem;

	expect("init with a NULL job", rsm_job_init(NULL, 0), RSMERR_BAD_ADDR);
	expect("init with a negative timeout", rsm_job_init(&job, -1),
	    RSMERR_BAD_ARGS_ERRORS);
	expect("a NULL job's rank", rsm_job_rank(NULL, &u), RSMERR_BAD_ARGS_ERRORS);
	expect("a NULL job's barrier", rsm_job_barrier(NULL), RSMERR_BAD_ARGS_ERRORS);
	expect("finalize of NULL", rsm_job_finalize(NULL), RSMERR_BAD_ARGS_ERRORS);
	expect("init of a job of one", rsm_job_init(&job, 2000), 0);
	if (job == NULL)
		return 1;
	expect("rank into NULL", rsm_job_rank(job, NULL), RSMERR_BAD_ADDR);
	expect("size into NULL", rsm_job_size(job, NULL), RSMERR_BAD_ADDR);
	expect("launcher into NULL", rsm_job_launcher(job, NULL), RSMERR_BAD_ADDR);
	expect("launcher", rsm_job_launcher(job, &l), 0);
	expect("launcher is none", l, RSM_JOB_LAUNCHER_NONE);
	expect("size", rsm_job_size(job, &u), 0);
	expect("size is 1", (int)u, 1);
	expect("node of rank 1 of 1", rsm_job_node(job, 1, &node),
	    RSMERR_BAD_ARGS_ERRORS);
	expect("node into NULL", rsm_job_node(job, 0, NULL), RSMERR_BAD_ADDR);
	expect("node of rank 0", rsm_job_node(job, 0, &node), 0);
	expect("allgather of too much", rsm_job_allgather(job, big, sizeof(big),
	    big), RSMERR_BAD_LENGTH);
	expect("allgather from NULL", rsm_job_allgather(job, NULL, 4, all),
	    RSMERR_BAD_ADDR);
	u = 77;
	expect("allgather", rsm_job_allgather(job, &u, sizeof(u), all), 0);
	expect("allgather's value", (int)all[0], 77);
	expect("barrier", rsm_job_barrier(job), 0);
	expect("export into NULL", rsm_job_export(job, NULL, NULL, 0, NULL, segs),
	    RSMERR_BAD_ADDR);
	expect("export through no controller", rsm_job_export(job, NULL, big,
	    4096, &seg, segs), RSMERR_BAD_CTLR_HNDL);
	expect("tcp0", rsm_get_controller("tcp0", &ctlr), 0);
	mem = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect("export", rsm_job_export(job, ctlr, mem, 65536, &seg, segs), 0);
	expect("export's node", (int)segs[0].node, (int)node);
	expect("export's size", (int)segs[0].size, 65536);
	expect("unpublish", rsm_memseg_export_unpublish(seg), 0);
	expect("destroy", rsm_memseg_export_destroy(seg), 0);
	expect("the message says the last failure", (int)strlen(rsm_job_message(job)) > 0, 1);
	expect("finalize", rsm_job_finalize(job), 0);
	return fails != 0;
}
