# The wire codec, linked into librsm, rsmd and rsmadm.
noinst_LTLIBRARIES += libproto.la
libproto_la_SOURCES = proto/rsm_proto.c proto/rsm_proto.h \
	proto/rsm_peer.c proto/rsm_peer.h \
	proto/rsm_data.c proto/rsm_data.h \
	proto/rsm_remote.c proto/rsm_remote.h \
	proto/rsm_admin.c proto/rsm_admin.h \
	proto/rsm_verbs_wire.h proto/rsm_ucx_wire.h \
	proto/rsm_ctlr.c proto/rsm_ctlr.h
libproto_la_CPPFLAGS = $(BASE_CPPFLAGS) $(I_PROTO) $(SODIUM_CFLAGS)
# rsm_data.c: the tcp0 HELLO's proof of the token (libsodium).
libproto_la_LIBADD = $(SODIUM_LIBS)
