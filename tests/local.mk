# tests: cmocka programs run by "make check".
#
# unit/ needs no daemon; proc/ starts a private rsmd per test group through
# tests/harness.c, found with $RSMD_BIN, and uses rsmadm through
# $RSMADM_BIN.

EXTRA_DIST += tests/harness.h

AM_TESTS_ENVIRONMENT = \
	RSMD_BIN='$(abs_top_builddir)/rsmd/rsmd'; \
	RSMADM_BIN='$(abs_top_builddir)/rsmadm/rsmadm'; \
	RSM_TEST_SRCDIR='$(abs_top_srcdir)/tests'; \
	export RSMD_BIN RSMADM_BIN RSM_TEST_SRCDIR; \
	unset RSM_DAEMON_SOCKET RSM_SEGMENTID_FILE;

if HAVE_CMOCKA

check_LTLIBRARIES = tests/libharness.la
tests_libharness_la_SOURCES = tests/harness.c tests/harness.h
tests_libharness_la_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)

TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
TEST_PROC_LIBS = tests/libharness.la librsm.la libproto.la $(CMOCKA_LIBS) \
	$(PTHREAD_LIBS)

check_PROGRAMS += tests/unit/test_proto
tests_unit_test_proto_SOURCES = tests/unit/test_proto.c
tests_unit_test_proto_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_proto_LDADD = libproto.la $(CMOCKA_LIBS)

TESTS += tests/unit/test_proto

endif
