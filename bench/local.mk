# bench: rsm_perf measures the shared-memory path beside memcpy and the
# daemon's control path; `make bench` runs it against a private rsmd.
noinst_PROGRAMS += bench/rsm_perf
bench_rsm_perf_SOURCES = bench/rsm_perf.c bench/sock_baseline.c \
	bench/sock_baseline.h
bench_rsm_perf_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/rsmadm
bench_rsm_perf_LDADD = librsm.la libadmclient.la libproto.la $(PTHREAD_LIBS)
EXTRA_DIST += bench/run-bench.sh

.PHONY: bench
bench: bench/rsm_perf rsmd/rsmd
	$(SHELL) $(top_srcdir)/bench/run-bench.sh $(abs_top_builddir)
