# The real-time clock, medians, whole-buffer I/O, number arguments and the
# remote importer's figures, one copy for the three programs; bench_lib.sh is the
# same for the scripts that run them.
bench_util_sources = bench/bench_util.c bench/bench_util.h
EXTRA_DIST += bench/bench_lib.sh

# bench: rsm_perf measures the shared-memory path beside memcpy and the
# daemon's control path; `make bench` runs it against a private rsmd.
noinst_PROGRAMS += bench/rsm_perf
bench_rsm_perf_SOURCES = bench/rsm_perf.c bench/sock_baseline.c \
	bench/sock_baseline.h bench/unix_baseline.c bench/unix_baseline.h \
	$(bench_util_sources)
bench_rsm_perf_CPPFLAGS = $(BASE_CPPFLAGS) $(I_UTIL) $(I_PROTO) \
	-I$(top_srcdir)/rsmadm
bench_rsm_perf_LDADD = librsm.la libadmclient.la libproto.la libutil_rsm.la \
	$(PTHREAD_LIBS)
EXTRA_DIST += bench/run-bench.sh

.PHONY: bench
bench: bench/rsm_perf rsmd/rsmd
	$(SHELL) $(top_srcdir)/bench/run-bench.sh $(abs_top_builddir)

# The extensions (rsm/rsm_atomic.h) beside the get/put they replace, on
# shm0 and tcp0 of one node; `make bench-atomic`.
noinst_PROGRAMS += bench/rsm_atomic_perf
bench_rsm_atomic_perf_SOURCES = bench/rsm_atomic_perf.c $(bench_util_sources)
bench_rsm_atomic_perf_CPPFLAGS = $(BASE_CPPFLAGS) $(I_UTIL)
bench_rsm_atomic_perf_LDADD = librsm.la libproto.la $(PTHREAD_LIBS)

.PHONY: bench-atomic
bench-atomic: bench/rsm_atomic_perf rsmd/rsmd
	RSM_PERF=$(abs_top_builddir)/bench/rsm_atomic_perf \
	    $(SHELL) $(top_srcdir)/bench/run-bench.sh $(abs_top_builddir)

# The cluster benchmark: tcp0 between two network namespaces beside a
# plain socket and UCX on the same link; `make bench-net` (root).
noinst_PROGRAMS += bench/rsm_net_perf
bench_rsm_net_perf_SOURCES = bench/rsm_net_perf.c bench/sock_baseline.c \
	bench/sock_baseline.h $(bench_util_sources)
bench_rsm_net_perf_CPPFLAGS = $(BASE_CPPFLAGS) $(I_UTIL)
bench_rsm_net_perf_LDADD = librsm.la libproto.la $(PTHREAD_LIBS)
EXTRA_DIST += bench/run-bench-net.sh

# Remote map (rsm_memseg_import_map of another node) beside get and putv
# on the same import, in the same run of bench-net.
noinst_PROGRAMS += bench/rsm_rmap_perf
bench_rsm_rmap_perf_SOURCES = bench/rsm_rmap_perf.c $(bench_util_sources)
bench_rsm_rmap_perf_CPPFLAGS = $(BASE_CPPFLAGS) $(I_UTIL)
bench_rsm_rmap_perf_LDADD = librsm.la libproto.la $(PTHREAD_LIBS)

.PHONY: bench-net
bench-net: bench/rsm_net_perf bench/rsm_rmap_perf rsmd/rsmd rsmadm/rsmadm
	bash $(top_srcdir)/bench/run-bench-net.sh $(abs_top_builddir)

# The verbs benchmark: rsm over verbs0 beside perftest on the same
# SoftRoCE device, inside a QEMU guest (tests/vm); `make bench-verbs`.
noinst_PROGRAMS += bench/rsm_verbs_perf
bench_rsm_verbs_perf_SOURCES = bench/rsm_verbs_perf.c $(bench_util_sources)
bench_rsm_verbs_perf_CPPFLAGS = $(BASE_CPPFLAGS) $(I_UTIL)
bench_rsm_verbs_perf_LDADD = librsm.la $(PTHREAD_LIBS)
EXTRA_DIST += bench/run-bench-verbs.sh

.PHONY: bench-verbs
bench-verbs: bench/rsm_verbs_perf rsmd/rsmd rsmadm/rsmadm
	bash $(top_srcdir)/bench/run-bench-verbs.sh $(abs_top_builddir)

# The scale benchmark: $(NODES) rsmd in network namespaces on one bridge
# (tests/scale), their RSS, idle CPU, links, start-up time and connect
# latency beside a two-node cluster; `make bench-scale` (root).
NODES = 256
EXTRA_DIST += bench/run-bench-scale.sh
.PHONY: bench-scale
bench-scale: tests/scale/scale_worker rsmd/rsmd rsmadm/rsmadm
	NODES='$(NODES)' bash $(top_srcdir)/bench/run-bench-scale.sh $(abs_top_builddir)

# The one-sided benchmark: rsm beside MPI RMA (osc pt2pt over btl tcp,
# osc ucx over UCX tcp) and OpenSHMEM (UCX tcp), every path started by
# mpirun across two namespace nodes, the same four tests (onesided.h);
# run by `make bench-net` after its own part, or alone by `make bench-mpi`.
EXTRA_DIST += bench/onesided.h bench/run-bench-mpi.sh
noinst_PROGRAMS += bench/rsm_job_perf
bench_rsm_job_perf_SOURCES = bench/rsm_job_perf.c bench/onesided.h
bench_rsm_job_perf_LDADD = librsm_job.la librsm.la
bench_mpi_deps = bench/rsm_job_perf
if HAVE_MPI
noinst_PROGRAMS += bench/mpi_rma_perf
bench_mpi_rma_perf_SOURCES = bench/mpi_rma_perf.c bench/onesided.h
bench_mpi_rma_perf_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS)
bench_mpi_rma_perf_LDADD = $(MPI_LIBS)
bench_mpi_deps += bench/mpi_rma_perf
endif
if HAVE_OSHMEM
noinst_PROGRAMS += bench/shmem_perf
bench_shmem_perf_SOURCES = bench/shmem_perf.c bench/onesided.h
bench_shmem_perf_CFLAGS = $(AM_CFLAGS) $(MPI_CFLAGS)
bench_shmem_perf_LDADD = $(OSHMEM_LIBS)
bench_mpi_deps += bench/shmem_perf
endif
bench-net: $(bench_mpi_deps)

.PHONY: bench-mpi
bench-mpi: $(bench_mpi_deps) rsmd/rsmd rsmadm/rsmadm
	bash $(top_srcdir)/bench/run-bench-mpi.sh $(abs_top_builddir)

# The heat stencil with halos by put beside halos stored through remote
# maps (examples/job/stencil_map --compare), started by mpirun across 2
# and 4 namespace nodes; `make bench-stencil` (root).
EXTRA_DIST += bench/run-bench-stencil.sh
.PHONY: bench-stencil
bench-stencil: examples/job/stencil_map rsmd/rsmd rsmadm/rsmadm
	bash $(top_srcdir)/bench/run-bench-stencil.sh $(abs_top_builddir)
