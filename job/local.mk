# job: librsm_job, the rsm_job(3RSM) extension (include/rsm/rsm_job.h):
# a job's ranks and their rsm nodes, allgather, barrier, export to all.
# A library of its own, so that RSMAPI programs never see it; it loads
# libpmix.so.2 with dlopen when a PMIx launcher started the process (the
# PMIx headers are needed at build time only, for the types).
rsmjobincludedir = $(includedir)/rsm
rsmjobinclude_HEADERS = include/rsm/rsm_job.h
pkgconfig_DATA += librsm_job.pc
lib_LTLIBRARIES += librsm_job.la
librsm_job_la_SOURCES = job/job_int.h job/job.c job/job_env.c job/job_pmix.c \
	job/job_xchg.c
librsm_job_la_CPPFLAGS = $(BASE_CPPFLAGS) $(PMIX_CFLAGS)
librsm_job_la_LIBADD = librsm.la $(DL_LIBS) $(PTHREAD_LIBS)
librsm_job_la_LDFLAGS = $(AM_LDFLAGS) -version-info 1:0:0 \
	-Wl,--version-script=$(top_srcdir)/job/librsm_job.map
EXTRA_librsm_job_la_DEPENDENCIES = job/librsm_job.map
EXTRA_DIST += job/librsm_job.map
