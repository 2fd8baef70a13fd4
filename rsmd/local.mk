# rsmd: the node daemon.
sbin_PROGRAMS += rsmd/rsmd
rsmd_rsmd_SOURCES = rsmd/rsmd.c rsmd/rsmd.h rsmd/loop.c rsmd/config.c \
	rsmd/control.c rsmd/handler.h rsmd/handle_export.c \
	rsmd/handle_import.c rsmd/handle_info.c rsmd/handle_uffd.c \
	rsmd/handle_stats.c rsmd/stats.h rsmd/stats.c \
	rsmd/monitor.h rsmd/monitor.c \
	rsmd/controllers.c \
	rsmd/segment.c rsmd/dseg.c rsmd/sockets.c \
	rsmd/registry.c rsmd/refusal.c rsmd/notify.c rsmd/log.c rsmd/log.h \
	rsmd/capability.h rsmd/capability.c rsmd/service.h rsmd/services.c \
	rsmd/serve_tcp.h rsmd/serve_tcp.c rsmd/serve_tcp_conn.c \
	rsmd/peer.c rsmd/peer.h rsmd/peer_int.h rsmd/peer_conn.c \
	rsmd/peer_call.c rsmd/peer_idle.c rsmd/peer_key.c rsmd/peer_stats.c \
	rsmd/remote.h rsmd/remote_int.h rsmd/remote.c \
	rsmd/remote_export.c rsmd/remote_import.c \
	rsmd/admin.h rsmd/admin_serve.c rsmd/admin_forward.c \
	rsmd/svcmgr.h rsmd/svcmgr.c rsmd/privdrop.h rsmd/privdrop.c
if HAVE_VERBS
rsmd_rsmd_SOURCES += rsmd/serve_verbs.h rsmd/serve_verbs.c \
	rsmd/verbs_listen.c rsmd/verbs_mem.c
else
rsmd_rsmd_SOURCES += rsmd/serve_verbs_none.c
endif
if HAVE_UCX
rsmd_rsmd_SOURCES += rsmd/serve_ucx.c
else
rsmd_rsmd_SOURCES += rsmd/serve_ucx_none.c
endif
EXTRA_DIST += rsmd/serve_ucx.c rsmd/serve_ucx_none.c
EXTRA_DIST += rsmd/serve_verbs_none.c rsmd/serve_verbs.h rsmd/serve_verbs.c \
	rsmd/verbs_listen.c rsmd/verbs_mem.c
rsmd_rsmd_CPPFLAGS = $(BASE_CPPFLAGS) $(I_PROTO) $(I_UTIL) $(I_RDMA)
rsmd_rsmd_CFLAGS = $(AM_CFLAGS) $(INIH_CFLAGS) $(SODIUM_CFLAGS) $(SYSTEMD_CFLAGS)
rsmd_rsmd_LDADD = libproto.la libutil_rsm.la $(INIH_LIBS) $(SODIUM_LIBS) \
	$(SYSTEMD_LIBS) $(PTHREAD_LIBS)
if HAVE_VERBS
rsmd_rsmd_LDADD += librdma_rsm.la
endif
if HAVE_UCX
rsmd_rsmd_LDADD += libucx_rsm.la
endif

# The registry is plain data: its unit test links it alone.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_registry
TESTS += tests/unit/test_registry
tests_unit_test_registry_SOURCES = tests/unit/test_registry.c \
	rsmd/registry.c rsmd/rsmd.h rsmd/stats.h
tests_unit_test_registry_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/rsmd
tests_unit_test_registry_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_registry_LDADD = libproto.la $(CMOCKA_LIBS)
endif

# The counters' arithmetic (percentiles, error tables), alone.
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_stats
TESTS += tests/unit/test_stats
tests_unit_test_stats_SOURCES = tests/unit/test_stats.c \
	rsmd/stats.c rsmd/stats.h
tests_unit_test_stats_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/rsmd
tests_unit_test_stats_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_stats_LDADD = $(CMOCKA_LIBS)
endif
