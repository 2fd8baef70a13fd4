# examples: rsm_demo, two processes sharing one segment; `make demo` runs
# it across two private rsmd on 127.0.0.1 (nodes 1 and 2).
noinst_PROGRAMS += examples/rsm_demo
examples_rsm_demo_SOURCES = examples/rsm_demo.c
examples_rsm_demo_CPPFLAGS = $(BASE_CPPFLAGS) $(I_UTIL)
examples_rsm_demo_LDADD = librsm.la libutil_rsm.la
EXTRA_DIST += examples/run-demo.sh

.PHONY: demo
demo: examples/rsm_demo rsmd/rsmd rsmadm/rsmadm
	$(SHELL) $(top_srcdir)/examples/run-demo.sh $(abs_top_builddir)
