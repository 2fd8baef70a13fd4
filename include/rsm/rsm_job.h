/*
 * rsm/rsm_job.h - jobs of cooperating processes on top of the RSMAPI.
 *
 * An extension of rsm, not part of the Solaris RSMAPI: a program that
 * includes only <rsmapi.h> is unchanged.  It lives in its own library,
 * librsm_job (pkg-config librsm_job), which loads libpmix.so.2 with dlopen
 * only when a PMIx launcher (mpirun, prterun, srun --mpi=pmix) started
 * the process; without one it reads RSM_JOB_RANK, RSM_JOB_SIZE and
 * RSM_JOB_ROOT, and with none of those the process is a job of one.
 *
 * Every function returns RSM_SUCCESS (0) or a positive RSMERR_* value of
 * <rsmapi.h>; rsm_job(3RSM) says which one for which failure.  A
 * collective call (init, allgather, barrier, export) fails on every rank
 * with the same error when any rank fails, after printing why on stderr,
 * and never waits longer than the job's timeout.
 */
#ifndef RSM_RSM_JOB_H
#define RSM_RSM_JOB_H

#include <stddef.h>
#include <stdint.h>

#include <rsmapi.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsm_job *rsm_job_t;

/* The largest value one rank gives rsm_job_allgather(). */
#define RSM_JOB_MAX_VALUE	1024

/* How the job was described (rsm_job_launcher()). */
#define RSM_JOB_LAUNCHER_NONE	0	/* a job of one process */
#define RSM_JOB_LAUNCHER_ENV	1	/* RSM_JOB_RANK/RSM_JOB_SIZE/RSM_JOB_ROOT */
#define RSM_JOB_LAUNCHER_PMIX	2	/* PMIx, through libpmix.so.2 */

/* What rsm_job_export() tells about one rank's segment. */
typedef struct {
	rsm_node_id_t	node;		/* the rank's rsm node id */
	rsm_memseg_id_t	segid;		/* its segment's id on that node */
	size_t		size;		/* the segment's size in bytes */
} rsm_job_seg_t;

/*
 * Joins the job: every rank calls it.  timeout_ms bounds every collective
 * of this job (0: $RSM_JOB_TIMEOUT_MS, else 30000).  Each rank's node id
 * is what its node's rsmd says; every node of the job must be reachable
 * from every other one.
 */
int rsm_job_init(rsm_job_t *job, int timeout_ms);
/* Leaves the job and frees it (not collective). */
int rsm_job_finalize(rsm_job_t job);

int rsm_job_rank(rsm_job_t job, uint32_t *rank);
int rsm_job_size(rsm_job_t job, uint32_t *size);
int rsm_job_launcher(rsm_job_t job, int *launcher);
/* The rsm node id of a rank (this process's: rsm_job_rank()'s). */
int rsm_job_node(rsm_job_t job, uint32_t rank, rsm_node_id_t *node);

/*
 * Collective: every rank gives len bytes (the same len everywhere, at most
 * RSM_JOB_MAX_VALUE); all receives size * len bytes, rank r's at r * len.
 */
int rsm_job_allgather(rsm_job_t job, const void *mine, size_t len,
    void *all);
/* Collective: returns when every rank has called it. */
int rsm_job_barrier(rsm_job_t job);

/*
 * Collective, the MPI_Win_allocate of rsm: exports size bytes at vaddr
 * through controller ctlr, publishes them to the job's nodes (read and
 * write, mode 0666) under an id rsmd chooses, and stores every rank's
 * (node, segment id, size) in segs[0 .. size - 1].  On failure on any
 * rank nothing stays exported anywhere.  The caller unpublishes and
 * destroys *memseg when done (after a barrier, once no rank uses it).
 */
int rsm_job_export(rsm_job_t job, rsmapi_controller_handle_t ctlr,
    void *vaddr, size_t size, rsm_memseg_export_handle_t *memseg,
    rsm_job_seg_t *segs);

/* The message of the job's last failure ("" when none). */
const char *rsm_job_message(rsm_job_t job);

#ifdef __cplusplus
}
#endif

#endif /* RSM_RSM_JOB_H */
