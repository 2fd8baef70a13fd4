/*
 * bench_util.c - the pieces the benchmark programs share (bench_util.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "bench_util.h"

uint64_t
bench_realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double
bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

int
bench_read_all(int fd, void *p, size_t n)
{
	char *c = p;
	ssize_t r;

	while (n > 0) {
		r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int
bench_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
bench_parse_long(const char *s, int base, long lo, long hi, long *v)
{
	char *end;

	errno = 0;
	*v = strtol(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || *v < lo || *v > hi)
		return -1;
	return 0;
}

long
bench_number(const char *prog, const char *s, long lo, long hi)
{
	long v;

	if (bench_parse_long(s, 0, lo, hi, &v) != 0) {
		fprintf(stderr, "%s: bad number %s\n", prog, s);
		exit(2);
	}
	return v;
}

void *
bench_map(size_t len, int fill)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, fill, len);
	return p;
}

/* ---- the remote importer's figures ---- */

int
bench_op_put_close(struct bench_imp *c, uint64_t *bytes)
{
	int rc, crc;

	*bytes = c->len;
	if ((rc = rsm_memseg_import_open_barrier(&c->bar)) != RSM_SUCCESS)
		return rc;
	rc = rsm_memseg_import_put(c->imp, 0, c->buf, c->len);
	crc = rsm_memseg_import_close_barrier(&c->bar);
	return rc != RSM_SUCCESS ? rc : crc;
}

int
bench_op_get(struct bench_imp *c, uint64_t *bytes)
{
	off_t off = (off_t)(c->next++ % BENCH_SEG_SLOTS) * BENCH_MIB;

	*bytes = c->len;
	return rsm_memseg_import_get(c->imp, c->len >= BENCH_MIB ? off : 0,
	    c->buf, c->len);
}

int
bench_op_put_stream(struct bench_imp *c, uint64_t *bytes)
{
	unsigned i;
	int rc, crc;

	*bytes = (uint64_t)BENCH_SEG_SLOTS * BENCH_MIB;
	if ((rc = rsm_memseg_import_open_barrier(&c->bar)) != RSM_SUCCESS)
		return rc;
	for (i = 0; i < BENCH_SEG_SLOTS && rc == RSM_SUCCESS; i++)
		rc = rsm_memseg_import_put(c->imp,
		    (off_t)(i % BENCH_SEG_SLOTS) * BENCH_MIB, c->buf,
		    BENCH_MIB);
	crc = rsm_memseg_import_close_barrier(&c->bar);
	return rc != RSM_SUCCESS ? rc : crc;
}

int
bench_import(const char *prog, char *ctlr_name, const char *node_s,
    const char *segid_s, rsm_memseg_import_handle_t *imp,
    rsmapi_barrier_t *bar)
{
	rsmapi_controller_handle_t ctlr;
	int rc;

	if ((rc = rsm_get_controller(ctlr_name, &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_connect(ctlr,
	    (rsm_node_id_t)bench_number(prog, node_s, 0, 65535),
	    (rsm_memseg_id_t)bench_number(prog, segid_s, 1, 0x7fffffff),
	    RSM_PERM_RDWR, imp)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_import_init_barrier(*imp, RSM_BAR_DEFAULT, bar)) !=
	    RSM_SUCCESS)
		return rc;
	return RSM_SUCCESS;
}

/*
 * Per-call samples for the typical (median) call: read off a cycle
 * counter, as perftest does, because in an emulated guest whose
 * clocksource is hpet every clock_gettime is a system call and a device
 * access that would land inside the very interval being measured.
 */
static inline uint64_t
ticks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __rdtsc();
#elif defined(__aarch64__)
	uint64_t v;

	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
#else
	return rsm_now_ns();
#endif
}

/* Ticks per ns, measured once against CLOCK_MONOTONIC over 20 ms. */
static double
ticks_per_ns(void)
{
	static double tpn;
	uint64_t t0, k0, t;

	if (tpn > 0)
		return tpn;
	t0 = rsm_now_ns();
	k0 = ticks();
	do
		t = rsm_now_ns();
	while (t - t0 < 20000000u);
	tpn = (double)(ticks() - k0) / (double)(t - t0);
	if (!(tpn > 0))
		tpn = 1;
	return tpn;
}

#define BENCH_SAMPLES	(1u << 18)

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * One repetition of fn: calls until min_ns have passed; mean ns per call,
 * the typical (median) call in ns, and bytes per second.
 */
static int
time_rep(struct bench_imp *c, bench_op_fn fn, uint64_t min_ns,
    double *ns_per_op, double *typical_ns, double *bytes_per_s)
{
	static uint64_t sample[BENCH_SAMPLES];
	double tpn = ticks_per_ns();
	uint64_t t0, t, n = 0, bytes = 0, b, k, k1, end;
	int rc;

	t0 = rsm_now_ns();
	k = ticks();
	end = k + (uint64_t)((double)min_ns * tpn);
	do {
		if ((rc = fn(c, &b)) != 0)
			return rc;
		k1 = ticks();
		if (n < BENCH_SAMPLES)
			sample[n] = k1 - k;
		k = k1;
		n++;
		bytes += b;
	} while (k < end);
	t = rsm_now_ns();
	*ns_per_op = (double)(t - t0) / (double)n;
	*bytes_per_s = (double)bytes * 1e9 / (double)(t - t0);
	if (n > BENCH_SAMPLES)
		n = BENCH_SAMPLES;
	qsort(sample, (size_t)n, sizeof(sample[0]), cmp_u64);
	*typical_ns = (double)sample[n / 2] / tpn;
	return 0;
}

void
bench_run_figures(struct bench_imp *c, const struct bench_figure *figs,
    size_t nfigs, int reps, uint64_t min_ns, const char *only)
{
	double ns[BENCH_MAX_FIGS][BENCH_MAX_REPS];
	double typ[BENCH_MAX_FIGS][BENCH_MAX_REPS];
	double bps[BENCH_MAX_FIGS][BENCH_MAX_REPS];
	int err[BENCH_MAX_FIGS] = { 0 };
	size_t i;
	int r, rc;

	if (nfigs > BENCH_MAX_FIGS)
		abort();	/* a program's table outgrew the arrays */
	/*
	 * Repetitions interleave the figures (one of each per round), so
	 * a noisy stretch of the machine weighs on all of them alike.
	 */
	for (r = -1; r < reps; r++) {
		for (i = 0; i < nfigs; i++) {
			uint64_t b;

			if (strncmp(figs[i].key, only, strlen(only)) != 0 ||
			    err[i] != 0)
				continue;
			c->len = figs[i].len;
			rc = rsm_memseg_import_set_mode(c->imp,
			    figs[i].explicit_mode ? RSM_BARRIER_MODE_EXPLICIT :
			    RSM_BARRIER_MODE_IMPLICIT);
			/* Round -1 warms up: page faults, the data path. */
			if (rc == RSM_SUCCESS)
				rc = r < 0 ? figs[i].fn(c, &b) :
				    time_rep(c, figs[i].fn, min_ns, &ns[i][r],
				    &typ[i][r], &bps[i][r]);
			if (rc != RSM_SUCCESS)
				err[i] = rc;
		}
	}
	for (i = 0; i < nfigs; i++) {
		if (strncmp(figs[i].key, only, strlen(only)) != 0)
			continue;
		if (err[i] != 0) {
			printf("%s error %d\n", figs[i].key, err[i]);
			continue;
		}
		printf("%s %.1f\n", figs[i].key, figs[i].rate ?
		    bench_median(bps[i], reps) : bench_median(ns[i], reps));
		if (!figs[i].rate)
			printf("%s.typical %.1f\n", figs[i].key,
			    bench_median(typ[i], reps));
	}
	fflush(stdout);
}

int
bench_export(const char *prog, char *ctlr_name, const char *segid_s,
    const char *size_s, long min_size, const char *lifetime_s)
{
	rsmapi_controller_handle_t ctlr;
	rsm_memseg_export_handle_t exp;
	rsm_memseg_id_t id;
	size_t size;
	uint64_t end;
	char *mem;
	int rc;

	id = (rsm_memseg_id_t)bench_number(prog, segid_s, 1, 0x7fffffff);
	size = (size_t)bench_number(prog, size_s, min_size, 1l << 34);
	end = rsm_now_ns() +
	    (uint64_t)bench_number(prog, lifetime_s, 1, 86400) * 1000000000ull;
	if ((mem = bench_map(size, 0x33)) == NULL)
		return 1;
	if ((rc = rsm_get_controller(ctlr_name, &ctlr)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_export_create(ctlr, &exp, mem, size, 0)) !=
	    RSM_SUCCESS ||
	    (rc = rsm_memseg_export_publish(exp, &id, NULL, 0)) !=
	    RSM_SUCCESS) {
		printf("rc=%d\n", rc);
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	/* Bounded: a benchmark that lost track of us cannot leave us behind. */
	while (rsm_now_ns() < end)
		usleep(100000);
	(void)rsm_memseg_export_unpublish(exp);
	(void)rsm_memseg_export_destroy(exp);
	return 0;
}
