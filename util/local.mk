# util: the helpers every part of rsm shares, one copy each: the clock and
# a busy poll's turn,
# the log rate limiter, iovec arithmetic, fork detection, the maps reader,
# the error names and sizes with K/M/G.  Folded into librsm (whose version script keeps
# them unexported) and linked by rsmd, rsmadm, bench, examples and tests.
noinst_LTLIBRARIES += libutil_rsm.la
libutil_rsm_la_SOURCES = \
	util/rsm_busypoll.h util/rsm_clock.h \
	util/rsm_err.h util/rsm_err.c \
	util/rsm_forkgen.h util/rsm_forkgen.c \
	util/rsm_iov.h util/rsm_iov.c \
	util/rsm_maps.h util/rsm_maps.c \
	util/rsm_ratelimit.h util/rsm_ratelimit.c \
	util/rsm_size.h util/rsm_size.c
libutil_rsm_la_CPPFLAGS = $(BASE_CPPFLAGS) $(I_UTIL)
