/*
 * job_int.h - librsm_job's parts: the job (job.c) and its two ways of
 * exchanging values, PMIx (job_pmix.c) and a TCP rendezvous at rank 0
 * (job_env.c).  Private to job/.
 */
#ifndef RSM_JOB_INT_H
#define RSM_JOB_INT_H

#include <stddef.h>
#include <stdint.h>

#include "rsm/rsm_job.h"

/*
 * One rank's contribution to an exchange: a status (0, or the RSMERR_*
 * that failed on that rank) and up to RSM_JOB_MAX_VALUE bytes.  Statuses
 * travel with the values so that a failure on one rank reaches all.
 */
struct job_entry {
	int32_t		status;
	uint32_t	len;
	unsigned char	val[RSM_JOB_MAX_VALUE];
};

#define JOB_MAGIC 0x6a6f6273u	/* a live job; cleared by finalize */

struct rsm_job {
	uint32_t	magic;
	char		host[64];	/* for messages */
	int		launcher;	/* RSM_JOB_LAUNCHER_* */
	uint32_t	rank, size;
	int		timeout_ms;
	rsm_node_id_t	*nodes;		/* size entries */
	uint32_t	seq;		/* exchanges so far */
	struct job_entry *ents;		/* size entries, the last exchange */
	void		*be;		/* the backend's state */
	/* The exchange: mine in, ents[0 .. size-1] out; 0 or an RSMERR_*. */
	int		(*exchange)(struct rsm_job *, const struct job_entry *mine);
	/* A barrier of the backend's own, or NULL: an empty exchange. */
	int		(*barrier)(struct rsm_job *);
	void		(*fini)(struct rsm_job *);
	void		*xchg;		/* job_xchg.c's state, or NULL */
	char		msg[512];
};

/* Records and prints (stderr) a failure of this rank, returns err. */
int job_fail(struct rsm_job *job, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Backends: each fills rank, size, be, exchange and fini, or fails with
 * a message (job_fail).  PMIx returns -1 when no PMIx launcher started
 * the process (so the next way is tried).
 */
int job_pmix_open(struct rsm_job *job);
int job_env_open(struct rsm_job *job);

/*
 * After init: exchanges through rsm segments (job_xchg.c) where the
 * backend has a barrier; 0 (also when every rank keeps the backend's
 * exchange) or an RSMERR_* when the agreement itself failed.  Closed
 * before the backend's fini.
 */
int job_xchg_open(struct rsm_job *job);
void job_xchg_close(struct rsm_job *job);

#endif
