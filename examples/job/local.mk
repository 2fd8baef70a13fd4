# examples/job: programs of rsm jobs (rsm_job(3RSM)), each started by
# mpirun across namespace nodes by tests/net/test_job_mpi.sh, which runs
# every program built here; by hand with RSM_JOB_RANK/RSM_JOB_SIZE/
# RSM_JOB_ROOT.  Adding one: its .c file (its own check, exit status 0
# only when right) and its line below.
JOB_EXAMPLE_LDADD = librsm_job.la librsm.la
noinst_PROGRAMS += examples/job/stencil
examples_job_stencil_LDADD = $(JOB_EXAMPLE_LDADD)
noinst_PROGRAMS += examples/job/stencil_map
examples_job_stencil_map_LDADD = $(JOB_EXAMPLE_LDADD)
noinst_PROGRAMS += examples/job/ring
examples_job_ring_LDADD = $(JOB_EXAMPLE_LDADD)
noinst_PROGRAMS += examples/job/counter
examples_job_counter_LDADD = $(JOB_EXAMPLE_LDADD)
noinst_PROGRAMS += examples/job/kvs
examples_job_kvs_LDADD = $(JOB_EXAMPLE_LDADD)
# The stencils' shared arithmetic (stencil, stencil_map).
EXTRA_DIST += examples/job/heat.h
