/*
 * onesided.h - the one-sided benchmark's five tests, written once for
 * every library it compares (rsm_job_perf.c, mpi_rma_perf.c,
 * shmem_perf.c): each program fills a table of five operations and
 * calls os_run().  Two ranks: rank 1 (the origin) times, rank 0 (the
 * target) owns the memory and otherwise waits in the library's barrier,
 * except in the busy test, where it computes for 1 s without a library
 * call while the origin does 10 gets.  Every figure is the median of
 * the batches; the origin prints one line:
 *   NAME put8_us=X get8_us=X put_mib_MBps=X busy_ms=X fadd8_us=X
 * fadd8_us is a 64-bit fetch-and-add on the target's word, its old value
 * back at the origin ("-" for a library without one).
 */
#ifndef RSM_BENCH_ONESIDED_H
#define RSM_BENCH_ONESIDED_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define OS_MIB		(1024u * 1024u)
#define OS_BATCHES	7
#define OS_OPS		500	/* 8 B operations per batch */
#define OS_BW_PUTS	32	/* 1 MiB puts per bandwidth batch */
#define OS_BUSY_MS	1000
#define OS_BUSY_GETS	10
#define OS_BUSY_ROUNDS	3

struct os_ops {
	void	(*put8)(void);		/* 8 B put, remotely complete on return */
	void	(*get8)(void);		/* 8 B get */
	void	(*put_mib)(int n);	/* n 1 MiB puts, then remote completion */
	void	(*barrier)(void);
	int	rank;
	void	(*fadd8)(void);		/* 8 B fetch-and-add, old value back */
};

static inline double
os_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static inline int
os_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static inline double
os_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), os_cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Per-operation µs of op, median of OS_BATCHES batches (origin only). */
static inline double
os_lat(void (*op)(void))
{
	double v[OS_BATCHES];
	int b, i;

	for (i = 0; i < OS_OPS / 10; i++)
		op();
	for (b = 0; b < OS_BATCHES; b++) {
		double t0 = os_now_us();

		for (i = 0; i < OS_OPS; i++)
			op();
		v[b] = (os_now_us() - t0) / OS_OPS;
	}
	return os_median(v, OS_BATCHES);
}

static inline void
os_run(const char *name, const struct os_ops *o)
{
	double put8 = 0, get8 = 0, fadd8 = -1, bw[OS_BATCHES];
	double busy[OS_BUSY_ROUNDS];
	char fadd[32] = "-";
	int b, i;

	o->barrier();
	if (o->rank == 1)
		put8 = os_lat(o->put8);
	o->barrier();
	if (o->rank == 1)
		get8 = os_lat(o->get8);
	o->barrier();
	if (o->rank == 1) {
		o->put_mib(4);
		for (b = 0; b < OS_BATCHES; b++) {
			double t0 = os_now_us();

			o->put_mib(OS_BW_PUTS);
			bw[b] = OS_BW_PUTS * (double)OS_MIB / (os_now_us() - t0);
		}
	}
	for (b = 0; b < OS_BUSY_ROUNDS; b++) {
		o->barrier();
		if (o->rank == 0) {
			/* Computing: no library call for OS_BUSY_MS. */
			double t0 = os_now_us();
			volatile double x = 1;

			while (os_now_us() - t0 < OS_BUSY_MS * 1000.0)
				x = x * 1.0000001 + 1e-9;
		} else {
			double t0 = os_now_us();

			for (i = 0; i < OS_BUSY_GETS; i++)
				o->get8();
			busy[b] = (os_now_us() - t0) / 1000;
		}
	}
	o->barrier();
	if (o->fadd8 != NULL && o->rank == 1)
		fadd8 = os_lat(o->fadd8);
	o->barrier();
	if (o->rank == 1) {
		if (fadd8 >= 0)
			snprintf(fadd, sizeof(fadd), "%.2f", fadd8);
		printf("%s put8_us=%.2f get8_us=%.2f put_mib_MBps=%.0f "
		    "busy_ms=%.1f fadd8_us=%s\n", name, put8, get8,
		    os_median(bw, OS_BATCHES), os_median(busy, OS_BUSY_ROUNDS),
		    fadd);
		fflush(stdout);
	}
}

#endif
