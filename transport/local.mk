# transport: one folder per transport, each an ops table (transport.h),
# built into librsm as a convenience library.  A transport sees the wire
# formats, util, rdma/ and its own folder; never librsm's or rsmd's
# headers (tests/test_layers.sh checks the includes themselves).
noinst_LTLIBRARIES += libtransport_rsm.la
libtransport_rsm_la_SOURCES = \
	transport/transport.h \
	transport/transport.c \
	transport/dummy.c \
	transport/shm/shm.h \
	transport/shm/shm.c \
	transport/tcp/tcp.h \
	transport/tcp/tcp_conn.c \
	transport/tcp/tcp.c
if HAVE_VERBS
libtransport_rsm_la_SOURCES += \
	transport/verbs/verbs.h \
	transport/verbs/verbs_plan.h \
	transport/verbs/verbs_plan.c \
	transport/verbs/verbs_vma.c \
	transport/verbs/verbs_conn.c \
	transport/verbs/verbs_src.c \
	transport/verbs/verbs.c
endif
if HAVE_UCX
libtransport_rsm_la_SOURCES += \
	transport/ucx/ucx.h \
	transport/ucx/ucx_proc.c \
	transport/ucx/ucx.c
endif
libtransport_rsm_la_CPPFLAGS = $(BASE_CPPFLAGS) $(I_PROTO) $(I_UTIL) \
	$(I_RDMA) $(I_TRANSPORT)
