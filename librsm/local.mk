# librsm: the RSMAPI client library (soname librsm.so.2, as on illumos),
# with the transports it drives built in (transport/local.mk).  It sees
# the wire formats, util and transport/transport.h, nothing else.
lib_LTLIBRARIES += librsm.la
librsm_la_SOURCES = \
	librsm/rsm_int.h \
	librsm/handles.c \
	librsm/daemon_link.c \
	librsm/controller.c \
	librsm/memfd_move.c \
	librsm/export.c \
	librsm/import.c \
	librsm/rmap.h \
	librsm/rmap.c \
	librsm/rmap_int.h \
	librsm/rmap_track.c \
	librsm/data.c \
	librsm/sg.c \
	librsm/barrier.c \
	librsm/intr.c \
	librsm/atomic.c \
	librsm/topology.c \
	librsm/topo_stream.h \
	librsm/topo_stream.c \
	librsm/segid.c
librsm_la_CPPFLAGS = $(BASE_CPPFLAGS) $(I_PROTO) $(I_UTIL) $(I_TRANSPORT)
librsm_la_LIBADD = libtransport_rsm.la libproto.la libutil_rsm.la \
	$(PTHREAD_LIBS)
if HAVE_VERBS
librsm_la_LIBADD += librdma_rsm.la
endif
if HAVE_UCX
librsm_la_LIBADD += libucx_rsm.la
endif
librsm_la_LDFLAGS = $(AM_LDFLAGS) -version-info 2:0:0 \
	-Wl,--version-script=$(top_srcdir)/librsm/librsm.map
EXTRA_librsm_la_DEPENDENCIES = librsm/librsm.map
EXTRA_DIST += librsm/librsm.map
