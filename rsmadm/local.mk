# rsmadm: the operator's tool.  Speaks the wire protocol directly (no
# librsm), so it only needs the codec and json-c.  Its daemon client and
# error names are a small convenience library that the benchmark and the
# demo link too.
noinst_LTLIBRARIES += libadmclient.la
libadmclient_la_SOURCES = rsmadm/client.c rsmadm/rsmadm.h \
	rsmadm/rsmerr.c rsmadm/rsmerr.h

sbin_PROGRAMS += rsmadm/rsmadm
rsmadm_rsmadm_SOURCES = rsmadm/rsmadm.c rsmadm/output_text.c \
	rsmadm/output_json.c
rsmadm_rsmadm_CFLAGS = $(AM_CFLAGS) $(JSONC_CFLAGS)
rsmadm_rsmadm_LDADD = libadmclient.la libproto.la $(JSONC_LIBS)
