# The wire codec, linked into librsm, rsmd and rsmadm.
noinst_LTLIBRARIES += libproto.la
libproto_la_SOURCES = proto/rsm_proto.c proto/rsm_proto.h
