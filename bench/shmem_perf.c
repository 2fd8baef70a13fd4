/*
 * shmem_perf.c - the one-sided tests (onesided.h) with OpenSHMEM (Open
 * MPI's oshmem): a symmetric 1 MiB from shmem_malloc, shmem_putmem +
 * shmem_quiet for remote completion, shmem_getmem,
 * shmem_ulonglong_atomic_fetch_add.
 */
#include <shmem.h>
#include <string.h>

#include "onesided.h"

static char *sym, *src;

static void
put8(void)
{
	shmem_putmem(sym, src, 8, 0);
	shmem_quiet();
}

static void
get8(void)
{
	shmem_getmem(src, sym, 8, 0);
}

static void
put_mib(int n)
{
	int i;

	for (i = 0; i < n; i++)
		shmem_putmem(sym, src, OS_MIB, 0);
	shmem_quiet();
}

static void
fadd8(void)
{
	/* Open MPI 4.1 has the 1.4 names by C type, not by width. */
	(void)shmem_ulonglong_atomic_fetch_add((unsigned long long *)(void *)sym,
	    1, 0);
}

static void
barrier(void)
{
	shmem_barrier_all();
}

int
main(int argc, char **argv)
{
	struct os_ops o = { put8, get8, put_mib, barrier, 0, fadd8 };

	shmem_init();
	o.rank = shmem_my_pe();
	if (shmem_n_pes() != 2) {
		fprintf(stderr, "shmem_perf: needs 2 PEs\n");
		shmem_global_exit(2);
	}
	sym = shmem_malloc(OS_MIB);
	src = malloc(OS_MIB);
	if (sym == NULL || src == NULL) {
		fprintf(stderr, "shmem_perf: out of memory\n");
		shmem_global_exit(2);
	}
	memset(src, 1, OS_MIB);
	os_run(argc > 1 ? argv[1] : "shmem", &o);
	shmem_free(sym);
	free(src);
	shmem_finalize();
	return 0;
}
