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

check_PROGRAMS += tests/proc/test_basic
tests_proc_test_basic_SOURCES = tests/proc/test_basic.c
tests_proc_test_basic_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_basic_LDADD = $(TEST_PROC_LIBS)

check_PROGRAMS += tests/proc/test_errors
tests_proc_test_errors_SOURCES = tests/proc/test_errors.c
tests_proc_test_errors_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_errors_LDADD = $(TEST_PROC_LIBS)

check_PROGRAMS += tests/proc/test_signals
tests_proc_test_signals_SOURCES = tests/proc/test_signals.c
tests_proc_test_signals_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_signals_LDADD = $(TEST_PROC_LIBS)

check_PROGRAMS += tests/proc/test_faults
tests_proc_test_faults_SOURCES = tests/proc/test_faults.c
tests_proc_test_faults_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_faults_LDADD = $(TEST_PROC_LIBS)

check_PROGRAMS += tests/proc/test_garbage
tests_proc_test_garbage_SOURCES = tests/proc/test_garbage.c
tests_proc_test_garbage_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_garbage_LDADD = $(TEST_PROC_LIBS)

TESTS += tests/unit/test_proto tests/proc/test_basic tests/proc/test_errors \
	tests/proc/test_signals tests/proc/test_faults tests/proc/test_garbage

endif
