# tests: cmocka programs run by "make check".
#
# unit/ needs no daemon; proc/ starts a private rsmd per test group through
# tests/harness.c, found with $RSMD_BIN, and uses rsmadm through
# $RSMADM_BIN.

EXTRA_DIST += tests/harness.h tests/lsan.supp

AM_TESTS_ENVIRONMENT = \
	RSMD_BIN='$(abs_top_builddir)/rsmd/rsmd'; \
	RSMADM_BIN='$(abs_top_builddir)/rsmadm/rsmadm'; \
	RSM_TEST_SRCDIR='$(abs_top_srcdir)/tests'; \
	RSM_TEST_BUILDDIR='$(abs_top_builddir)'; \
	LSAN_OPTIONS='suppressions=$(abs_top_srcdir)/tests/lsan.supp:print_suppressions=0'; \
	export RSMD_BIN RSMADM_BIN RSM_TEST_SRCDIR RSM_TEST_BUILDDIR LSAN_OPTIONS; \
	unset RSM_DAEMON_SOCKET RSM_SEGMENTID_FILE;

if HAVE_CMOCKA

check_LTLIBRARIES = tests/libharness.la
tests_libharness_la_SOURCES = tests/harness.c tests/harness.h
tests_libharness_la_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)

TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
TEST_PROC_LIBS = tests/libharness.la librsm.la libproto.la $(CMOCKA_LIBS) \
	$(PTHREAD_LIBS)

check_PROGRAMS += tests/unit/test_peer_proto
tests_unit_test_peer_proto_SOURCES = tests/unit/test_peer_proto.c
tests_unit_test_peer_proto_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_peer_proto_LDADD = libproto.la $(CMOCKA_LIBS)
TESTS += tests/unit/test_peer_proto

check_PROGRAMS += tests/unit/test_remote_proto
tests_unit_test_remote_proto_SOURCES = tests/unit/test_remote_proto.c
tests_unit_test_remote_proto_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_remote_proto_LDADD = libproto.la $(CMOCKA_LIBS)
TESTS += tests/unit/test_remote_proto

# The library's end of the TOPOLOGY stream, alone (no daemon).
check_PROGRAMS += tests/unit/test_topo_stream
tests_unit_test_topo_stream_SOURCES = tests/unit/test_topo_stream.c \
	librsm/topo_stream.c librsm/topo_stream.h
tests_unit_test_topo_stream_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_topo_stream_LDADD = $(CMOCKA_LIBS)
TESTS += tests/unit/test_topo_stream

check_PROGRAMS += tests/unit/test_ctlr
tests_unit_test_ctlr_SOURCES = tests/unit/test_ctlr.c
tests_unit_test_ctlr_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_ctlr_LDADD = libproto.la $(CMOCKA_LIBS)
TESTS += tests/unit/test_ctlr

check_PROGRAMS += tests/unit/test_util
tests_unit_test_util_SOURCES = tests/unit/test_util.c
tests_unit_test_util_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_util_LDADD = libutil_rsm.la $(CMOCKA_LIBS) $(PTHREAD_LIBS)
TESTS += tests/unit/test_util

check_PROGRAMS += tests/unit/test_proto
tests_unit_test_proto_SOURCES = tests/unit/test_proto.c
tests_unit_test_proto_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_proto_LDADD = libproto.la $(CMOCKA_LIBS)

check_PROGRAMS += tests/unit/test_data_seal
tests_unit_test_data_seal_SOURCES = tests/unit/test_data_seal.c
tests_unit_test_data_seal_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_data_seal_LDADD = libproto.la $(CMOCKA_LIBS)
TESTS += tests/unit/test_data_seal

check_PROGRAMS += tests/unit/test_seal_gcm
tests_unit_test_seal_gcm_SOURCES = tests/unit/test_seal_gcm.c
tests_unit_test_seal_gcm_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_seal_gcm_LDADD = libproto.la $(CMOCKA_LIBS)
TESTS += tests/unit/test_seal_gcm

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

check_PROGRAMS += tests/proc/test_atomic
tests_proc_test_atomic_SOURCES = tests/proc/test_atomic.c
tests_proc_test_atomic_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_atomic_LDADD = $(TEST_PROC_LIBS)
TESTS += tests/proc/test_atomic

check_PROGRAMS += tests/proc/test_faults
tests_proc_test_faults_SOURCES = tests/proc/test_faults.c
tests_proc_test_faults_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_faults_LDADD = $(TEST_PROC_LIBS)

check_PROGRAMS += tests/proc/test_garbage
tests_proc_test_garbage_SOURCES = tests/proc/test_garbage.c
tests_proc_test_garbage_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_garbage_LDADD = $(TEST_PROC_LIBS)

check_PROGRAMS += tests/proc/test_tcp
tests_proc_test_tcp_SOURCES = tests/proc/test_tcp.c tests/proc/tcp_util.h
tests_proc_test_tcp_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_tcp_LDADD = $(TEST_PROC_LIBS)

check_PROGRAMS += tests/proc/test_tcp_hostile
tests_proc_test_tcp_hostile_SOURCES = tests/proc/test_tcp_hostile.c \
	tests/proc/tcp_util.h
tests_proc_test_tcp_hostile_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_tcp_hostile_LDADD = $(TEST_PROC_LIBS)

check_PROGRAMS += tests/proc/test_tcp_sealed
tests_proc_test_tcp_sealed_SOURCES = tests/proc/test_tcp_sealed.c \
	tests/proc/tcp_util.h
tests_proc_test_tcp_sealed_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_tcp_sealed_LDADD = $(TEST_PROC_LIBS)

TESTS += tests/proc/test_tcp tests/proc/test_tcp_hostile \
	tests/proc/test_tcp_sealed

# Every request handler against well-formed requests with hostile fields.
check_PROGRAMS += tests/proc/test_ctl_hostile
tests_proc_test_ctl_hostile_SOURCES = tests/proc/test_ctl_hostile.c
tests_proc_test_ctl_hostile_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_ctl_hostile_LDADD = $(TEST_PROC_LIBS)
TESTS += tests/proc/test_ctl_hostile

# A node with hundreds of peers, and the library against a daemon whose
# topology stream lies.
check_PROGRAMS += tests/proc/test_topology
tests_proc_test_topology_SOURCES = tests/proc/test_topology.c
tests_proc_test_topology_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_topology_LDADD = $(TEST_PROC_LIBS)
TESTS += tests/proc/test_topology

TESTS += tests/unit/test_proto tests/proc/test_basic tests/proc/test_errors \
	tests/proc/test_signals tests/proc/test_faults tests/proc/test_garbage

# The process and two cluster tests again, against daemons that dropped
# root (user = nobody).
TESTS += tests/proc/test_unprivileged.sh
EXTRA_DIST += tests/proc/test_unprivileged.sh

endif

# The error list of util/rsm_err.h covers every code of rsmapi.h.
TESTS += tests/unit/test_err_list.sh
EXTRA_DIST += tests/unit/test_err_list.sh

# net/: clusters of rsmd in network namespaces (root and ip netns, else
# skipped with 77).  lib.sh builds them; the helpers are a hostile
# peer-port client, a topology printer and a remote import driver.
check_PROGRAMS += tests/net/peer_poke tests/net/topo_probe tests/net/remote_probe
tests_net_peer_poke_SOURCES = tests/net/peer_poke.c
tests_net_peer_poke_LDADD = libproto.la
tests_net_topo_probe_SOURCES = tests/net/topo_probe.c
tests_net_topo_probe_LDADD = librsm.la libproto.la $(PTHREAD_LIBS)
tests_net_remote_probe_SOURCES = tests/net/remote_probe.c \
	tests/net/probe_atomic.c tests/net/probe_atomic.h \
	tests/net/probe_map.c tests/net/probe_map.h
tests_net_remote_probe_LDADD = librsm.la libproto.la $(PTHREAD_LIBS)
# The extensions (rsm/rsm_atomic.h) through tcp0 across nodes.
TESTS += tests/net/test_atomic.sh
EXTRA_DIST += tests/net/test_atomic.sh
TESTS += tests/net/test_peers.sh tests/net/test_cluster.sh \
	tests/net/test_remote.sh tests/net/test_remote4.sh \
	tests/net/test_manual.sh tests/net/test_node_ids.sh \
	tests/net/test_simul.sh tests/net/test_on_demand.sh \
	tests/net/test_peer_tamper.sh
EXTRA_DIST += tests/net/test_manual.sh tests/net/test_simul.sh tests/net/test_on_demand.sh \
	tests/net/test_peer_tamper.sh tests/net/tamper_proxy.py
# tcp0 sealed (data_encrypt = yes): correct, unreadable and unchangeable
# on the wire, through a relay that records and tampers.
TESTS += tests/net/test_data_encrypt.sh
EXTRA_DIST += tests/net/test_data_encrypt.sh tests/net/data_proxy.py
# Remote map (rsm_memseg_import_map(3RSM)) over tcp0.
TESTS += tests/net/test_rmap.sh
EXTRA_DIST += tests/net/test_rmap.sh
# Daemon segments (rsmadm segment) imported on both nodes, and re-adopted.
TESTS += tests/net/test_segment.sh
EXTRA_DIST += tests/net/test_segment.sh
# rsmadm stats and monitor: counters, events, slow subscribers.
TESTS += tests/net/test_stats.sh
EXTRA_DIST += tests/net/test_stats.sh
# rsmadm -n NODE: another node's rsmd asked through the peer link, and
# (admin_probe: a peer of its own) the asked rsmd's own checks.
check_PROGRAMS += tests/net/admin_probe
tests_net_admin_probe_SOURCES = tests/net/admin_probe.c
tests_net_admin_probe_CFLAGS = $(AM_CFLAGS) $(SODIUM_CFLAGS)
tests_net_admin_probe_LDADD = libproto.la $(SODIUM_LIBS)
TESTS += tests/net/test_admin_remote.sh
EXTRA_DIST += tests/net/test_admin_remote.sh
if HAVE_UCX
TESTS += tests/net/test_ucx.sh
# A raw UCP client against the ucx0 listener's handshake (test_ucx.sh).
check_PROGRAMS += tests/net/ucx_hello
tests_net_ucx_hello_SOURCES = tests/net/ucx_hello.c
tests_net_ucx_hello_LDADD = librsm.la libproto.la libucx_rsm.la \
	$(PTHREAD_LIBS)
endif
EXTRA_DIST += tests/net/test_ucx.sh tests/net/ucx_hello.c \
	tests/net/pcap_has.py
EXTRA_DIST += tests/net/lib.sh tests/net/test_peers.sh tests/net/test_cluster.sh \
	tests/net/remote_lib.sh tests/net/test_remote.sh tests/net/test_remote4.sh \
	tests/net/test_node_ids.sh

# Jobs (rsm_job(3RSM)): every examples/job program under mpirun, and
# under Slurm's srun --mpi=pmix with a private slurmctld and a slurmd per
# node, across 2 and 4 namespace nodes (skipped without mpirun or Slurm),
# and a job by hand with its failures, each the documented error on
# every rank.
check_PROGRAMS += tests/net/job_args tests/net/job_allgather tests/net/job_barrier
tests_net_job_args_LDADD = librsm_job.la librsm.la
tests_net_job_allgather_LDADD = librsm_job.la librsm.la
tests_net_job_barrier_LDADD = librsm_job.la librsm.la
TESTS += tests/net/test_job_mpi.sh tests/net/test_job_srun.sh tests/net/test_job.sh
EXTRA_DIST += tests/net/job_lib.sh tests/net/test_job_mpi.sh \
	tests/net/test_job_srun.sh tests/net/test_job.sh

# config/: golden files of rsmd -nv for good and bad rsmd.conf files
# (test_config.sh --update rewrites them).  good/ and bad/ are listed as
# directories, so a new case is distributed without a line here; not
# tests/config itself, whose copy in the build tree holds the test's log.
TESTS += tests/config/test_config.sh

# systemd/: the units pass systemd-analyze, and rsmd speaks sd_notify.
TESTS += tests/systemd/test_units.sh
EXTRA_DIST += tests/systemd/test_units.sh

# pkg/: the Debian packages build, pass lintian, and run the demo.
TESTS += tests/pkg/test_deb.sh
EXTRA_DIST += tests/pkg/test_deb.sh debian
EXTRA_DIST += tests/config/test_config.sh tests/config/good tests/config/bad

# The demo (scripts/demo.sh, make demo): examples/run-demo.sh against this
# build, two private rsmd on 127.0.0.1 (no root needed).
TESTS += tests/test_demo.sh
EXTRA_DIST += tests/test_demo.sh

# vm/: tests inside a QEMU guest (TCG) running Debian's kernel, for rxe
# and netem, through tests/vm/run-in-guest.sh (see tests/vm/README);
# skipped (77) when not root or with RSM_SKIP_VM=1.
TESTS += tests/vm/test_netem.sh tests/vm/test_rxe_smoke.sh
# The soak with netem faults (tests/soak); RSM_SKIP_SOAK=1 skips it too.
TESTS += tests/vm/test_soak_netem.sh
EXTRA_DIST += tests/vm/README tests/vm/run-in-guest.sh tests/vm/guest-init.sh \
	tests/vm/guest-run.sh tests/vm/guest_lib.sh tests/vm/vm_lib.sh \
	tests/vm/test_netem.sh tests/vm/test_rxe_smoke.sh \
	tests/vm/test_soak_netem.sh
clean-local: clean-vm-cache
clean-vm-cache:
	-rm -rf vm-cache
.PHONY: clean-vm-cache

# fuzz/: libFuzzer targets, built and run by scripts/fuzz.sh (clang).
EXTRA_DIST += tests/fuzz/fuzz_peer.c tests/fuzz/fuzz_msg.c tests/fuzz/fuzz_data.c \
	tests/fuzz/fuzz_seal.c tests/fuzz/fuzz_remote.c tests/fuzz/fuzz_config.c \
	scripts/fuzz.sh

# verbs: the transport's pure parts on the host; the data path itself on
# SoftRoCE inside a guest (tests/vm, skipped without root or QEMU).
if HAVE_VERBS
if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test_verbs_plan
tests_unit_test_verbs_plan_SOURCES = tests/unit/test_verbs_plan.c \
	transport/verbs/verbs_plan.c transport/verbs/verbs_plan.h
tests_unit_test_verbs_plan_CFLAGS = $(TEST_CFLAGS)
tests_unit_test_verbs_plan_LDADD = $(CMOCKA_LIBS)
TESTS += tests/unit/test_verbs_plan
endif
TESTS += tests/vm/test_verbs.sh
# Not in the default suite (a guest boot): put-with-signal over verbs0.
EXTRA_DIST += tests/vm/test_verbs_atomic.sh
# Two guests, an rxe device each, joined by a QEMU socket link.
TESTS += tests/vm/test_roce2.sh
# A read-only importer that uses another queue pair's rkey.
check_PROGRAMS += tests/vm/verbs_forge
tests_vm_verbs_forge_SOURCES = tests/vm/verbs_forge.c
tests_vm_verbs_forge_LDADD = librsm.la libproto.la $(PTHREAD_LIBS)
# A raw rdma_cm client against the verbs listener's hello and proof.
check_PROGRAMS += tests/vm/verbs_hello
tests_vm_verbs_hello_SOURCES = tests/vm/verbs_hello.c
tests_vm_verbs_hello_LDADD = librsm.la libproto.la -lrdmacm -libverbs \
	$(PTHREAD_LIBS)
endif
EXTRA_DIST += tests/vm/test_verbs.sh tests/vm/test_roce2.sh \
	tests/vm/run-two-guests.sh
if HAVE_CMOCKA
check_PROGRAMS += tests/proc/test_verbs_absent
tests_proc_test_verbs_absent_SOURCES = tests/proc/test_verbs_absent.c
tests_proc_test_verbs_absent_CFLAGS = $(TEST_CFLAGS)
tests_proc_test_verbs_absent_LDADD = $(TEST_PROC_LIBS)
TESTS += tests/proc/test_verbs_absent
endif

# The layers of the tree: includes resolve only inside what each part may
# use, and only the table, the transports and the daemon's services name
# a transport kind (tests/test_layers.sh, doc/tree.md).
TESTS += tests/test_layers.sh
EXTRA_DIST += tests/test_layers.sh

# scale/: many rsmd on one bridge, each exporting a segment, a ring and an
# all-to-one of checksummed records, the daemons' cost measured (see
# tests/scale/README).  make check runs test_scale.sh, 24 nodes (root
# and ip netns, else skipped with 77); `make bench-scale` runs 256.
check_PROGRAMS += tests/scale/scale_worker
tests_scale_scale_worker_SOURCES = tests/scale/scale_worker.c
tests_scale_scale_worker_LDADD = librsm.la libutil_rsm.la $(PTHREAD_LIBS)
TESTS += tests/scale/test_scale.sh
EXTRA_DIST += tests/scale/README tests/scale/scale.sh tests/scale/test_scale.sh
