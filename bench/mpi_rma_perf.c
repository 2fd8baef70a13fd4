/*
 * mpi_rma_perf.c - the one-sided tests (onesided.h) with MPI RMA:
 * MPI_Win_allocate on every rank, a passive-target epoch
 * (MPI_Win_lock_all) for the whole run, MPI_Put/MPI_Get/MPI_Fetch_and_op
 * and MPI_Win_flush for remote completion.  Which osc component serves it is
 * mpirun's choice (run-bench-mpi.sh runs osc pt2pt and osc ucx).
 */
#include <mpi.h>
#include <string.h>

#include "onesided.h"

static MPI_Win win;
static char *src;

static void
put8(void)
{
	MPI_Put(src, 8, MPI_BYTE, 0, 0, 8, MPI_BYTE, win);
	MPI_Win_flush(0, win);
}

static void
get8(void)
{
	MPI_Get(src, 8, MPI_BYTE, 0, 0, 8, MPI_BYTE, win);
	MPI_Win_flush(0, win);
}

static void
put_mib(int n)
{
	int i;

	for (i = 0; i < n; i++)
		MPI_Put(src, OS_MIB, MPI_BYTE, 0, 0, OS_MIB, MPI_BYTE, win);
	MPI_Win_flush(0, win);
}

static void
fadd8(void)
{
	uint64_t one = 1, old;

	MPI_Fetch_and_op(&one, &old, MPI_UINT64_T, 0, 0, MPI_SUM, win);
	MPI_Win_flush(0, win);
}

static void
barrier(void)
{
	MPI_Barrier(MPI_COMM_WORLD);
}

int
main(int argc, char **argv)
{
	struct os_ops o = { put8, get8, put_mib, barrier, 0, fadd8 };
	char *base;
	int size;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &o.rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (size != 2) {
		fprintf(stderr, "mpi_rma_perf: needs 2 ranks\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	if (MPI_Win_allocate(OS_MIB, 1, MPI_INFO_NULL, MPI_COMM_WORLD, &base,
	    &win) != MPI_SUCCESS) {
		fprintf(stderr, "mpi_rma_perf: MPI_Win_allocate failed\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	src = malloc(OS_MIB);
	memset(src, 1, OS_MIB);
	MPI_Win_lock_all(0, win);
	os_run(argc > 1 ? argv[1] : "mpi", &o);
	MPI_Win_unlock_all(win);
	MPI_Win_free(&win);
	free(src);
	MPI_Finalize();
	return 0;
}
