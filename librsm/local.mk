# librsm: the RSMAPI client library (soname librsm.so.2, as on illumos),
# with the transports it drives built in.
lib_LTLIBRARIES += librsm.la
librsm_la_SOURCES = \
	librsm/rsm_int.h \
	librsm/handles.c \
	librsm/daemon_link.c \
	librsm/controller.c \
	librsm/memfd_move.c \
	librsm/export.c \
	librsm/import.c \
	librsm/data.c \
	librsm/sg.c \
	librsm/barrier.c \
	librsm/intr.c \
	librsm/topology.c \
	librsm/segid.c \
	transport/transport.h \
	transport/transport.c \
	transport/dummy.c \
	transport/shm/shm.h \
	transport/shm/shm.c \
	transport/tcp/tcp.h \
	transport/tcp/tcp_conn.c \
	transport/tcp/tcp.c
if HAVE_VERBS
librsm_la_SOURCES += \
	transport/verbs/verbs.h \
	transport/verbs/verbs_plan.h \
	transport/verbs/verbs_plan.c \
	transport/verbs/verbs_vma.c \
	transport/verbs/verbs_conn.c \
	transport/verbs/verbs_src.c \
	transport/verbs/verbs.c
endif
librsm_la_LIBADD = libproto.la libutil_rsm.la $(PTHREAD_LIBS)
if HAVE_VERBS
librsm_la_LIBADD += librdma_rsm.la
endif
librsm_la_LDFLAGS = $(AM_LDFLAGS) -version-info 2:0:0 \
	-Wl,--version-script=$(top_srcdir)/librsm/librsm.map
EXTRA_librsm_la_DEPENDENCIES = librsm/librsm.map
EXTRA_DIST += librsm/librsm.map
