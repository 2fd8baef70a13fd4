/*
 * job_pmix.c - the job as a PMIx launcher (mpirun, prterun, srun
 * --mpi=pmix) describes it.  libpmix.so.2 is loaded with dlopen only
 * when the environment says such a launcher started the process
 * (PMIX_NAMESPACE), so neither librsm_job nor its programs depend on it.
 * An exchange is PMIx_Put of a byte object under a key of its own,
 * PMIx_Commit, PMIx_Fence_nb with PMIX_COLLECT_DATA and PMIX_TIMEOUT,
 * then PMIx_Get of every rank's key, which is local after that fence.
 * The fence is waited for with our own deadline too, so a server that
 * ignores PMIX_TIMEOUT cannot make a rank hang.
 * PMIx's node numbering is not used: under Open MPI 4.1.4 a peer's
 * PMIX_NODEID does not resolve, and the node that matters is rsm's.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_int.h"

#ifndef HAVE_PMIX

int
job_pmix_open(struct rsm_job *job)
{
	if (getenv("PMIX_NAMESPACE") == NULL)
		return -1;
	return job_fail(job, RSMERR_BAD_CONF, "started by a PMIx launcher, "
	    "but librsm_job was built without PMIx (libpmix-dev)");
}

#else

#include <time.h>

#include <pmix.h>

/*
 * One fence in flight.  Its info must live until PMIx calls back, which
 * after our own timeout may be never or later: then it is left behind.
 */
struct fence {
	pthread_mutex_t	lock;
	pthread_cond_t	cv;
	int		done;
	pmix_status_t	status;
	pmix_info_t	info[2];
};

struct pmix_be {
	void		*dl;
	pmix_proc_t	me;
	pmix_status_t	(*init)(pmix_proc_t *, pmix_info_t *, size_t);
	pmix_status_t	(*finalize)(const pmix_info_t *, size_t);
	pmix_status_t	(*put)(pmix_scope_t, const char *, pmix_value_t *);
	pmix_status_t	(*commit)(void);
	pmix_status_t	(*fence_nb)(const pmix_proc_t *, size_t,
			    const pmix_info_t *, size_t, pmix_op_cbfunc_t, void *);
	pmix_status_t	(*get)(const pmix_proc_t *, const char *,
			    const pmix_info_t *, size_t, pmix_value_t **);
	void		(*value_destruct)(pmix_value_t *);
	const char	*(*error_string)(pmix_status_t);
};

static void
value_free(struct pmix_be *be, pmix_value_t *v)
{
	be->value_destruct(v);
	free(v);
}

static void
info_set(pmix_info_t *info, const char *key, pmix_data_type_t type)
{
	memset(info, 0, sizeof(*info));
	strncpy(info->key, key, PMIX_MAX_KEYLEN);
	info->value.type = type;
}

static void
fence_done(pmix_status_t status, void *arg)
{
	struct fence *f = arg;

	pthread_mutex_lock(&f->lock);
	f->status = status;
	f->done = 1;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->lock);
}

/*
 * A fence within timeout_ms, collecting the data put since the start
 * (collect) or none: a PMIx status or PMIX_ERR_TIMEOUT.
 */
static pmix_status_t
fence(struct pmix_be *be, int timeout_ms, int collect)
{
	struct fence *f = calloc(1, sizeof(*f));
	pthread_condattr_t ca;
	struct timespec until;
	pmix_status_t st;
	int rc = 0, done;

	if (f == NULL)
		return PMIX_ERR_NOMEM;
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	info_set(&f->info[0], PMIX_COLLECT_DATA, PMIX_BOOL);
	f->info[0].value.data.flag = collect ? true : false;
	info_set(&f->info[1], PMIX_TIMEOUT, PMIX_INT);
	f->info[1].value.data.integer = (timeout_ms + 999) / 1000;
	st = be->fence_nb(NULL, 0, f->info, 2, fence_done, f);
	if (st != PMIX_SUCCESS) {
		free(f);
		return st;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&f->lock);
	while (!f->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&f->cv, &f->lock, &until);
	done = f->done;
	st = done ? f->status : PMIX_ERR_TIMEOUT;
	pthread_mutex_unlock(&f->lock);
	if (done)
		free(f);
	return st;
}

static int
pmix_exchange(struct rsm_job *job, const struct job_entry *mine)
{
	struct pmix_be *be = job->be;
	char key[32];
	pmix_value_t v;
	pmix_status_t st;
	uint32_t r;

	job->seq++;
	snprintf(key, sizeof(key), "rsm.job.%u", job->seq);
	memset(&v, 0, sizeof(v));
	v.type = PMIX_BYTE_OBJECT;
	v.data.bo.bytes = (char *)mine;
	v.data.bo.size = offsetof(struct job_entry, val) + mine->len;
	if ((st = be->put(PMIX_GLOBAL, key, &v)) != PMIX_SUCCESS ||
	    (st = be->commit()) != PMIX_SUCCESS)
		return job_fail(job, RSMERR_INTERNAL_ERROR, "PMIx_Put/Commit: %s",
		    be->error_string(st));
	st = fence(be, job->timeout_ms, 1);
	if (st == PMIX_ERR_TIMEOUT)
		return job_fail(job, RSMERR_TIMEOUT, "PMIx_Fence of exchange %u "
		    "did not complete within %d ms", job->seq, job->timeout_ms);
	if (st != PMIX_SUCCESS)
		return job_fail(job, RSMERR_CONN_ABORTED, "PMIx_Fence: %s",
		    be->error_string(st));
	for (r = 0; r < job->size; r++) {
		pmix_proc_t p = be->me;
		pmix_value_t *got = NULL;
		struct job_entry *e = &job->ents[r];
		size_t n;

		p.rank = r;
		st = be->get(&p, key, NULL, 0, &got);
		if (st != PMIX_SUCCESS || got == NULL ||
		    got->type != PMIX_BYTE_OBJECT ||
		    (n = got->data.bo.size) < offsetof(struct job_entry, val) ||
		    n > sizeof(*e)) {
			if (got != NULL)
				value_free(be, got);
			return job_fail(job, RSMERR_INTERNAL_ERROR, "PMIx_Get of "
			    "rank %u's %s: %s", r, key, be->error_string(st));
		}
		memcpy(e, got->data.bo.bytes, n);
		value_free(be, got);
		if (e->len != n - offsetof(struct job_entry, val))
			return job_fail(job, RSMERR_INTERNAL_ERROR, "rank %u's %s "
			    "is malformed", r, key);
	}
	return 0;
}

/*
 * A barrier carries no values, and a rank's own status in one is always
 * 0 (job.c), so it puts no key: as an empty exchange, each barrier
 * added one, and a job's barriers grew slower with each (400 steps of
 * the stencil took 6.3 s).  It is still a fence that collects data:
 * under Slurm's mpi/pmix (22.05, a slurmd for each of several network
 * namespace nodes of one machine) a fence that collects none, run by
 * another collective, completed at once on every node without waiting
 * for the others, so ranks ran through such barriers.
 */
static int
pmix_barrier(struct rsm_job *job)
{
	struct pmix_be *be = job->be;
	pmix_status_t st = fence(be, job->timeout_ms, 1);

	if (st == PMIX_ERR_TIMEOUT)
		return job_fail(job, RSMERR_TIMEOUT, "PMIx_Fence of a barrier "
		    "did not complete within %d ms", job->timeout_ms);
	if (st != PMIX_SUCCESS)
		return job_fail(job, RSMERR_CONN_ABORTED, "PMIx_Fence: %s",
		    be->error_string(st));
	return 0;
}

static void
pmix_fini(struct rsm_job *job)
{
	struct pmix_be *be = job->be;

	if (be == NULL)
		return;
	be->finalize(NULL, 0);
	/* libpmix keeps threads and handlers: it stays loaded. */
	free(be);
	job->be = NULL;
}

int
job_pmix_open(struct rsm_job *job)
{
	const char *lib = getenv("RSM_JOB_PMIX_LIB");
	struct pmix_be *be;
	pmix_proc_t wild;
	pmix_value_t *v = NULL;
	pmix_status_t st;

	if (getenv("PMIX_NAMESPACE") == NULL)
		return -1;
	if (lib == NULL || *lib == '\0')
		lib = "libpmix.so.2";
	be = calloc(1, sizeof(*be));
	if (be == NULL)
		return job_fail(job, RSMERR_INSUFFICIENT_MEM, "out of memory");
	be->dl = dlopen(lib, RTLD_NOW | RTLD_GLOBAL);
	if (be->dl == NULL) {
		free(be);
		return job_fail(job, RSMERR_BAD_CONF, "started by a PMIx launcher, "
		    "but %s cannot be loaded: %s", lib, dlerror());
	}
#define SYM(f, n) (*(void **)&be->f = dlsym(be->dl, n)) == NULL
	if (SYM(init, "PMIx_Init") || SYM(finalize, "PMIx_Finalize") ||
	    SYM(put, "PMIx_Put") || SYM(commit, "PMIx_Commit") ||
	    SYM(fence_nb, "PMIx_Fence_nb") || SYM(get, "PMIx_Get") ||
	    SYM(value_destruct, "PMIx_Value_destruct") ||
	    SYM(error_string, "PMIx_Error_string")) {
		free(be);
		return job_fail(job, RSMERR_BAD_CONF, "%s lacks a PMIx 4 function",
		    lib);
	}
#undef SYM
	st = be->init(&be->me, NULL, 0);
	if (st != PMIX_SUCCESS) {
		const char *why = be->error_string(st);

		free(be);
		return job_fail(job, RSMERR_BAD_CONF, "PMIx_Init: %s (PMIX_NAMESPACE "
		    "is set, but its server does not answer)", why);
	}
	job->be = be;
	job->fini = pmix_fini;
	job->exchange = pmix_exchange;
	job->barrier = pmix_barrier;
	job->launcher = RSM_JOB_LAUNCHER_PMIX;
	job->rank = be->me.rank;
	wild = be->me;
	wild.rank = PMIX_RANK_WILDCARD;
	st = be->get(&wild, PMIX_JOB_SIZE, NULL, 0, &v);
	if (st != PMIX_SUCCESS || v == NULL || v->type != PMIX_UINT32 ||
	    v->data.uint32 == 0 || job->rank >= v->data.uint32) {
		if (v != NULL)
			value_free(be, v);
		return job_fail(job, RSMERR_BAD_CONF, "PMIx gives no job size: %s",
		    be->error_string(st));
	}
	job->size = v->data.uint32;
	value_free(be, v);
	return 0;
}

#endif
