/*
 * bench_util.h - what the benchmark programs share: the real-time clock
 * (intervals are measured with util/rsm_clock.h), medians, whole-buffer
 * I/O, number arguments, and (rsm_net_perf, rsm_verbs_perf) the remote
 * importer's timed figures and the exporter.  One copy, so the programs
 * measure and report the same way.
 */
#ifndef RSM_BENCH_UTIL_H
#define RSM_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <rsmapi.h>

#include "rsm_clock.h"

#define BENCH_MIB	(1024u * 1024u)
#define BENCH_MAX_REPS	31		/* the largest -r the programs take */
#define BENCH_SEG_SLOTS	16u		/* 1 MiB slots puts and gets rotate over */
#define BENCH_MAX_FIGS	8		/* figures one client run can time */

/* CLOCK_REALTIME in us, to compare with another process's clock. */
uint64_t bench_realtime_us(void);

/* qsort comparator for doubles, ascending. */
int	 bench_cmp_double(const void *a, const void *b);
/* Sorts v[0..n) in place and returns v[n / 2]. */
double	 bench_median(double *v, int n);

/*
 * All of n bytes to or from fd, over short counts and EINTR; 0, or -1
 * on an error or end of file.  The programs ignore SIGPIPE, so a peer
 * that went away is an error here, not a signal.
 */
int	 bench_read_all(int fd, void *p, size_t n);
int	 bench_write_all(int fd, const void *p, size_t n);

/* s as a whole number (strtol base) within [lo, hi]: 0, else -1. */
int	 bench_parse_long(const char *s, int base, long lo, long hi,
	    long *v);
/* The same (any base), or "PROG: bad number S" and exit status 2. */
long	 bench_number(const char *prog, const char *s, long lo, long hi);

/*
 * len bytes of private anonymous memory, every page written with fill
 * so no fault lands in a timed loop; NULL when mmap fails.
 */
void	*bench_map(size_t len, int fill);

/* ---- the remote importer's figures (rsm_net_perf, rsm_verbs_perf) ---- */

struct bench_imp {
	rsm_memseg_import_handle_t imp;
	rsmapi_barrier_t bar;
	char		*buf;		/* BENCH_MIB bytes to put from/get to */
	size_t		 len;		/* of the figure being timed */
	unsigned	 next;		/* rotating 1 MiB slot of the segment */
	void		*aux;		/* the program's own state (a socket) */
};

/* A timed operation: 0 or an RSMAPI error; *bytes moved. */
typedef int (*bench_op_fn)(struct bench_imp *, uint64_t *bytes);

/* Explicit barrier mode: open, one put of len, close (put completed). */
int	 bench_op_put_close(struct bench_imp *c, uint64_t *bytes);
/* Implicit mode: one get of len, its data in the buffer. */
int	 bench_op_get(struct bench_imp *c, uint64_t *bytes);
/* Explicit mode: BENCH_SEG_SLOTS puts of 1 MiB, then the close barrier. */
int	 bench_op_put_stream(struct bench_imp *c, uint64_t *bytes);

/*
 * Connect to node's segid through ctlr_name and set up its barrier.
 * ctlr_name is not const because rsm_get_controller's is not.
 */
int	 bench_import(const char *prog, char *ctlr_name,
	    const char *node_s, const char *segid_s,
	    rsm_memseg_import_handle_t *imp, rsmapi_barrier_t *bar);

struct bench_figure {
	const char	*key;
	bench_op_fn	 fn;
	size_t		 len;
	int		 explicit_mode;
	int		 rate;		/* print bytes/s, else ns per call */
};

/*
 * Times the figures whose key starts with only ("" for all): reps
 * rounds after a warm-up round, each round one repetition (>= min_ns)
 * of every figure, then one "key median" or "key error N" line each.
 * The median is over the rounds of each round's mean (bytes/s for a
 * rate); a latency figure also gets "key.typical median", the median
 * over the rounds of each round's median call, which is what perftest's
 * t_typical is.
 */
void	 bench_run_figures(struct bench_imp *c,
	    const struct bench_figure *figs, size_t nfigs, int reps,
	    uint64_t min_ns, const char *only);

/*
 * The exporter: size bytes (at least min_size) through ctlr_name,
 * published as segid; prints "ready" and lives for lifetime_s.
 */
int	 bench_export(const char *prog, char *ctlr_name,
	    const char *segid_s, const char *size_s, long min_size,
	    const char *lifetime_s);

#endif /* RSM_BENCH_UTIL_H */
