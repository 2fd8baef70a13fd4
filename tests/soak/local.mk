# soak/: a cluster of rsmd in network namespaces under random faults
# (kill -9 of exporters, importers and daemons, links down and up) while
# soak_worker processes move checksummed records; see tests/soak/README.
# `make soak` (root) runs $(FAULTS) faults (default 200), `make soak
# NETEM=1` in a QEMU guest with netem faults too; make check runs
# one 200-fault pass through test_soak.sh, skipped (77) with
# RSM_SKIP_SOAK=1 or without root and ip netns.
check_PROGRAMS += tests/soak/soak_worker
tests_soak_soak_worker_SOURCES = tests/soak/soak_worker.c
tests_soak_soak_worker_LDADD = librsm.la libutil_rsm.la $(PTHREAD_LIBS)
TESTS += tests/soak/test_soak.sh
EXTRA_DIST += tests/soak/README tests/soak/soak.sh tests/soak/test_soak.sh

# NETEM=1: the same in a QEMU guest with netem faults among the others
# (tests/vm/test_soak_netem.sh).
FAULTS = 200
NETEM = 0
.PHONY: soak
soak: tests/soak/soak_worker rsmd/rsmd rsmadm/rsmadm
	export RSMD_BIN='$(abs_top_builddir)/rsmd/rsmd' \
	    RSMADM_BIN='$(abs_top_builddir)/rsmadm/rsmadm' \
	    SOAK_WORKER='$(abs_top_builddir)/tests/soak/soak_worker' \
	    SOAK_MAN='$(abs_top_srcdir)/man' SOAK_NETEM_FAULTS='$(FAULTS)'; \
	if [ '$(NETEM)' = 1 ]; then \
		$(SHELL) $(top_srcdir)/tests/vm/test_soak_netem.sh; \
	else \
		$(SHELL) $(top_srcdir)/tests/soak/soak.sh -f $(FAULTS); \
	fi
