# rsmadm: the operator's tool.  Speaks the wire protocol directly (no
# librsm), so it only needs the codec, util and json-c.  Its daemon client
# is a small convenience library that the benchmark links too.
noinst_LTLIBRARIES += libadmclient.la
libadmclient_la_SOURCES = rsmadm/client.c rsmadm/remote.c rsmadm/rsmadm.h
libadmclient_la_CPPFLAGS = $(BASE_CPPFLAGS) $(I_PROTO) $(I_UTIL)

sbin_PROGRAMS += rsmadm/rsmadm
rsmadm_rsmadm_SOURCES = rsmadm/rsmadm.c rsmadm/output_text.c \
	rsmadm/output_json.c rsmadm/cmd_segment.c rsmadm/cmd_stats.c \
	rsmadm/cmd_monitor.c
rsmadm_rsmadm_CPPFLAGS = $(BASE_CPPFLAGS) $(I_PROTO) $(I_UTIL)
rsmadm_rsmadm_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
rsmadm_rsmadm_LDADD = libadmclient.la libproto.la libutil_rsm.la $(JSONC_LIBS)
