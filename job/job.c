/*
 * job.c - rsm_job(3RSM): a job's ranks, their rsm nodes, and the
 * collectives on top of a backend's exchange.  Every collective sends a
 * status with its value, so that a failure on one rank (no rsmd on its
 * node, an unreachable node, a bad argument) is reported by every rank
 * with the same error and the failing rank's own words.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job_int.h"

#define DEFAULT_TIMEOUT_MS	30000
/* How long init waits for a just-started rsmd to see its peers up. */
#define REACH_GRACE_MS		3000

int
job_fail(struct rsm_job *job, int err, const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (job->size > 0)
		snprintf(job->msg, sizeof(job->msg), "rank %u of %u on %s: %s",
		    job->rank, job->size, job->host, text);
	else
		snprintf(job->msg, sizeof(job->msg), "on %s: %s", job->host, text);
	fprintf(stderr, "rsm_job: %s\n", job->msg);
	return err;
}

static int
valid(rsm_job_t job)
{
	return job != NULL && job->magic == JOB_MAGIC;
}

/*
 * The collective step: gives this rank's value, or, when err is set,
 * this rank's failure (its message travels instead of the value), and
 * fails with the lowest failing rank's status when any rank failed.
 */
static int
collect(struct rsm_job *job, int err, const void *val, size_t len)
{
	struct job_entry mine;
	uint32_t r;
	int rc;

	memset(&mine, 0, offsetof(struct job_entry, val));
	mine.status = err;
	if (err != 0) {
		mine.len = (uint32_t)strlen(job->msg);
		memcpy(mine.val, job->msg, mine.len);
	} else {
		mine.len = (uint32_t)len;
		if (len > 0)
			memcpy(mine.val, val, len);
	}
	rc = job->exchange(job, &mine);
	if (rc != 0)
		return rc;
	for (r = 0; r < job->size; r++) {
		struct job_entry *e = &job->ents[r];

		if (e->status == 0)
			continue;
		if (err != 0)
			return err;	/* this rank said why already */
		if (e->len == 0 || e->status == RSMERR_TIMEOUT ||
		    e->status == RSMERR_CONN_ABORTED)
			return job_fail(job, e->status, "rank %u %s", r,
			    e->status == RSMERR_TIMEOUT ? "did not take part "
			    "within the timeout" : "left the job");
		return job_fail(job, e->status, "because %.*s",
		    (int)e->len, (const char *)e->val);
	}
	if (err != 0)
		return err;
	return 0;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether this node's rsmd lists node n as up on some controller. */
static int
reaches(rsm_topology_t *t, rsm_node_id_t n)
{
	uint_t c;
	int k;

	for (c = 0; c < t->topology_hdr.local_cntlr_count; c++) {
		rsm_connections_t *cn = t->connections[c];

		if (cn == NULL)
			continue;
		for (k = 0; k < cn->hdr.remote_cntlr_count; k++)
			if (cn->remote_cntlr[k].remote_nodeid == n &&
			    cn->remote_cntlr[k].connection_state ==
			    RSM_CONNECTION_ACTIVE)
				return 1;
	}
	return 0;
}

/* The first node of the job this node's rsmd does not reach, as a rank. */
static int
unreached(struct rsm_job *job, rsm_node_id_t me, uint32_t *rank)
{
	int64_t deadline = mono_ms() + (job->timeout_ms < REACH_GRACE_MS ?
	    job->timeout_ms : REACH_GRACE_MS);

	for (;;) {
		rsm_topology_t *t = NULL;
		uint32_t r;
		int miss = 0;

		if (rsm_get_interconnect_topology(&t) != RSM_SUCCESS)
			return 0;	/* reported by the node step already */
		for (r = 0; r < job->size && !miss; r++)
			if (job->nodes[r] != me && !reaches(t, job->nodes[r])) {
				*rank = r;
				miss = 1;
			}
		rsm_free_interconnect_topology(t);
		if (!miss)
			return 0;
		if (mono_ms() >= deadline)
			return 1;
		usleep(50000);	/* the poll interval while peers come up */
	}
}

struct node_word {
	uint32_t size, node;
};

static int
find_nodes(struct rsm_job *job)
{
	rsm_topology_t *t = NULL;
	struct node_word w = { job->size, 0 };
	const char *sock = getenv("RSM_DAEMON_SOCKET");
	uint32_t r, far = 0;
	int err;

	/* The topology call fails only when the node's rsmd does not answer. */
	err = rsm_get_interconnect_topology(&t);
	if (err != 0)
		err = job_fail(job, RSMERR_CTLR_NOT_PRESENT, "no rsmd answers on "
		    "this node (%s%s): rsm_get_interconnect_topology: RSMERR %d",
		    sock != NULL ? "RSM_DAEMON_SOCKET=" : "the default socket",
		    sock != NULL ? sock : "", err);
	else {
		w.node = t->topology_hdr.local_nodeid;
		rsm_free_interconnect_topology(t);
	}
	if ((err = collect(job, err, &w, sizeof(w))) != 0)
		return err;
	for (r = 0; r < job->size; r++) {
		struct node_word p;

		memcpy(&p, job->ents[r].val, sizeof(p));
		if (job->ents[r].len != sizeof(p) || p.size != job->size)
			return job_fail(job, RSMERR_BAD_CONF, "mismatched job "
			    "sizes: this rank has %u, rank %u has %u", job->size,
			    r, p.size);
		job->nodes[r] = p.node;
	}
	err = 0;
	if (unreached(job, w.node, &far))
		err = job_fail(job, RSMERR_REMOTE_NODE_UNREACHABLE, "node %u "
		    "(rank %u) is not reachable from node %u: its rsmd does not "
		    "list it up", job->nodes[far], far, w.node);
	return collect(job, err, NULL, 0);
}

static void
job_free(struct rsm_job *job)
{
	job_xchg_close(job);
	if (job->fini != NULL)
		job->fini(job);
	job->magic = 0;
	free(job->nodes);
	free(job->ents);
	free(job);
}

int
rsm_job_init(rsm_job_t *jobp, int timeout_ms)
{
	struct rsm_job *job;
	const char *s;
	int err;

	if (jobp == NULL)
		return RSMERR_BAD_ADDR;
	*jobp = NULL;
	if (timeout_ms < 0)
		return RSMERR_BAD_ARGS_ERRORS;
	job = calloc(1, sizeof(*job));
	if (job == NULL)
		return RSMERR_INSUFFICIENT_MEM;
	if (gethostname(job->host, sizeof(job->host) - 1) != 0)
		strcpy(job->host, "?");
	if (timeout_ms == 0 && (s = getenv("RSM_JOB_TIMEOUT_MS")) != NULL)
		timeout_ms = atoi(s);
	job->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
	err = job_pmix_open(job);
	if (err == -1)
		err = job_env_open(job);
	if (err == 0) {
		job->nodes = calloc(job->size, sizeof(*job->nodes));
		job->ents = calloc(job->size, sizeof(*job->ents));
		if (job->nodes == NULL || job->ents == NULL)
			err = job_fail(job, RSMERR_INSUFFICIENT_MEM, "out of memory");
	}
	if (err == 0)
		err = find_nodes(job);
	/* Its exchange segment is exported by rsm_job_export: a live job. */
	if (err == 0) {
		job->magic = JOB_MAGIC;
		err = job_xchg_open(job);
	}
	if (err != 0) {
		job_free(job);
		return err;
	}
	*jobp = job;
	return RSM_SUCCESS;
}

int
rsm_job_finalize(rsm_job_t job)
{
	if (!valid(job))
		return RSMERR_BAD_ARGS_ERRORS;
	job_free(job);
	return RSM_SUCCESS;
}

int
rsm_job_rank(rsm_job_t job, uint32_t *rank)
{
	if (!valid(job))
		return RSMERR_BAD_ARGS_ERRORS;
	if (rank == NULL)
		return RSMERR_BAD_ADDR;
	*rank = job->rank;
	return RSM_SUCCESS;
}

int
rsm_job_size(rsm_job_t job, uint32_t *size)
{
	if (!valid(job))
		return RSMERR_BAD_ARGS_ERRORS;
	if (size == NULL)
		return RSMERR_BAD_ADDR;
	*size = job->size;
	return RSM_SUCCESS;
}

int
rsm_job_launcher(rsm_job_t job, int *launcher)
{
	if (!valid(job))
		return RSMERR_BAD_ARGS_ERRORS;
	if (launcher == NULL)
		return RSMERR_BAD_ADDR;
	*launcher = job->launcher;
	return RSM_SUCCESS;
}

int
rsm_job_node(rsm_job_t job, uint32_t rank, rsm_node_id_t *node)
{
	if (!valid(job) || rank >= job->size)
		return RSMERR_BAD_ARGS_ERRORS;
	if (node == NULL)
		return RSMERR_BAD_ADDR;
	*node = job->nodes[rank];
	return RSM_SUCCESS;
}

int
rsm_job_allgather(rsm_job_t job, const void *mine, size_t len, void *all)
{
	uint32_t r;
	int err = 0;

	if (!valid(job))
		return RSMERR_BAD_ARGS_ERRORS;
	/* A bad argument on one rank still takes part, so no rank waits. */
	if (len > RSM_JOB_MAX_VALUE)
		err = job_fail(job, RSMERR_BAD_LENGTH, "allgather of %zu bytes "
		    "(at most %d)", len, RSM_JOB_MAX_VALUE);
	else if ((mine == NULL || all == NULL) && len > 0)
		err = job_fail(job, RSMERR_BAD_ADDR, "allgather with a NULL "
		    "buffer");
	if ((err = collect(job, err, mine, len)) != 0)
		return err;
	for (r = 0; r < job->size; r++)
		if (job->ents[r].len != len)
			return job_fail(job, RSMERR_BAD_LENGTH, "allgather of %zu "
			    "bytes here, %u on rank %u", len, job->ents[r].len, r);
	for (r = 0; r < job->size; r++)
		memcpy((char *)all + (size_t)r * len, job->ents[r].val, len);
	return RSM_SUCCESS;
}

int
rsm_job_barrier(rsm_job_t job)
{
	if (!valid(job))
		return RSMERR_BAD_ARGS_ERRORS;
	if (job->barrier != NULL)
		return job->barrier(job);
	return collect(job, 0, NULL, 0);
}

struct seg_word {
	uint32_t node, segid;
	uint64_t size;
};

int
rsm_job_export(rsm_job_t job, rsmapi_controller_handle_t ctlr, void *vaddr,
    size_t size, rsm_memseg_export_handle_t *memseg, rsm_job_seg_t *segs)
{
	rsmapi_access_entry_t acl[64];
	rsm_memseg_export_handle_t h = NULL;
	struct seg_word w = { 0, 0, size };
	uint_t nacl = 0;
	uint32_t r, k;
	int err = 0;

	if (!valid(job))
		return RSMERR_BAD_ARGS_ERRORS;
	if (memseg == NULL || segs == NULL)
		err = job_fail(job, RSMERR_BAD_ADDR, "export with a NULL "
		    "memseg or segs");
	/* The access list: the job's nodes, unless more than a list holds. */
	for (r = 0; r < job->size && nacl <= 64; r++) {
		for (k = 0; k < nacl && acl[k].ae_node != job->nodes[r]; k++)
			;
		if (k == nacl && nacl < 64) {
			acl[nacl].ae_node = job->nodes[r];
			acl[nacl++].ae_permission = 0666;
		} else if (k == nacl) {
			nacl = 65;
		}
	}
	if (err == 0) {
		err = rsm_memseg_export_create(ctlr, &h, vaddr, size, 0);
		if (err != 0)
			job_fail(job, err, "rsm_memseg_export_create of %zu bytes: "
			    "RSMERR %d", size, err);
	}
	if (err == 0) {
		err = rsm_memseg_export_publish(h, &w.segid,
		    nacl > 64 ? NULL : acl, nacl > 64 ? 0 : nacl);
		if (err != 0) {
			job_fail(job, err, "rsm_memseg_export_publish: RSMERR %d",
			    err);
			rsm_memseg_export_destroy(h);
			h = NULL;
		}
	}
	w.node = job->nodes[job->rank];
	if ((err = collect(job, err, &w, sizeof(w))) != 0) {
		if (h != NULL) {
			rsm_memseg_export_unpublish(h);
			rsm_memseg_export_destroy(h);
		}
		return err;
	}
	for (r = 0; r < job->size; r++) {
		struct seg_word p;

		memcpy(&p, job->ents[r].val, sizeof(p));
		segs[r].node = p.node;
		segs[r].segid = p.segid;
		segs[r].size = (size_t)p.size;
	}
	*memseg = h;
	return RSM_SUCCESS;
}

const char *
rsm_job_message(rsm_job_t job)
{
	if (!valid(job))
		return "not a job";
	return job->msg;
}
