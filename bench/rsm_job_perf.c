/*
 * rsm_job_perf.c - the one-sided tests (onesided.h) with rsm: an rsm job
 * (rsm_job(3RSM)) exports 1 MiB on every rank, rank 1 imports rank 0's
 * through $RSM_JOB_CTLR (default tcp0); a put is complete when the
 * close barrier around it returns, a get or a fetch-and-add
 * (rsm_atomic.h) when it returns.  The target's
 * CPU serves nothing: its rsmd does.
 */
#include <string.h>
#include <sys/mman.h>

#include "rsm/rsm_atomic.h"
#include "rsm/rsm_job.h"
#include "onesided.h"

static rsm_job_t job;
static rsm_memseg_import_handle_t imp;
static rsmapi_barrier_t bar;
static char *src;

static void
fail(const char *what, int rc)
{
	fprintf(stderr, "rsm_job_perf: %s: RSMERR %d\n", what, rc);
	exit(2);
}

static void
put8(void)
{
	int rc;

	if ((rc = rsm_memseg_import_open_barrier(&bar)) != 0 ||
	    (rc = rsm_memseg_import_put(imp, 0, src, 8)) != 0 ||
	    (rc = rsm_memseg_import_close_barrier(&bar)) != 0)
		fail("put", rc);
}

static void
get8(void)
{
	int rc = rsm_memseg_import_get(imp, 0, src, 8);

	if (rc != 0)
		fail("get", rc);
}

static void
put_mib(int n)
{
	int rc, i;

	if ((rc = rsm_memseg_import_open_barrier(&bar)) != 0)
		fail("open barrier", rc);
	for (i = 0; i < n; i++)
		if ((rc = rsm_memseg_import_put(imp, 0, src, OS_MIB)) != 0)
			fail("put", rc);
	if ((rc = rsm_memseg_import_close_barrier(&bar)) != 0)
		fail("close barrier", rc);
}

static void
fadd8(void)
{
	uint64_t old;
	int rc = rsm_memseg_import_fetch_add64(imp, 0, 1, &old);

	if (rc != 0)
		fail("fetch_add64", rc);
}

static void
barrier(void)
{
	int rc = rsm_job_barrier(job);

	if (rc != 0)
		fail("rsm_job_barrier", rc);
}

int
main(int argc, char **argv)
{
	struct os_ops o = { put8, get8, put_mib, barrier, 0, fadd8 };
	const char *cname = getenv("RSM_JOB_CTLR");
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t seg;
	rsm_job_seg_t segs[2];
	uint32_t rank, size;
	void *mem;
	int rc;

	if ((rc = rsm_job_init(&job, 0)) != 0)
		fail("rsm_job_init", rc);
	rsm_job_rank(job, &rank);
	rsm_job_size(job, &size);
	o.rank = (int)rank;
	if (size != 2)
		fail("needs 2 ranks", RSMERR_BAD_CONF);
	if ((rc = rsm_get_controller(cname != NULL && *cname ? (char *)cname :
	    "tcp0", &ctlr)) != 0)
		fail("rsm_get_controller", rc);
	mem = mmap(NULL, OS_MIB, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = malloc(OS_MIB);
	if (mem == MAP_FAILED || src == NULL)
		fail("out of memory", RSMERR_INSUFFICIENT_MEM);
	memset(src, 1, OS_MIB);
	if ((rc = rsm_job_export(job, ctlr, mem, OS_MIB, &seg, segs)) != 0)
		fail("rsm_job_export", rc);
	if (rank == 1 && ((rc = rsm_memseg_import_connect(ctlr, segs[0].node,
	    segs[0].segid, RSM_PERM_RDWR, &imp)) != 0 ||
	    (rc = rsm_memseg_import_init_barrier(imp, RSM_BAR_DEFAULT,
	    &bar)) != 0))
		fail("connect", rc);
	os_run(argc > 1 ? argv[1] : "rsm", &o);
	if (rank == 1) {
		rsm_memseg_import_destroy_barrier(&bar);
		rsm_memseg_import_disconnect(imp);
	}
	barrier();
	rsm_memseg_export_unpublish(seg);
	rsm_memseg_export_destroy(seg);
	rsm_release_controller(ctlr);
	rsm_job_finalize(job);
	return 0;
}
