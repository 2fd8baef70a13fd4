# The wire codec, linked into librsm, rsmd and rsmadm.
noinst_LTLIBRARIES += libproto.la
libproto_la_SOURCES = proto/rsm_proto.c proto/rsm_proto.h \
	proto/rsm_peer.c proto/rsm_peer.h \
	proto/rsm_data.c proto/rsm_data.h \
	proto/rsm_data_seal.c proto/rsm_data_seal.h \
	proto/rsm_seal_gcm.c proto/rsm_seal_gcm.h \
	proto/rsm_remote.c proto/rsm_remote.h \
	proto/rsm_admin.c proto/rsm_admin.h \
	proto/rsm_verbs_wire.h proto/rsm_ucx_wire.h \
	proto/rsm_ctlr.c proto/rsm_ctlr.h
libproto_la_CPPFLAGS = $(BASE_CPPFLAGS) $(I_PROTO) $(SODIUM_CFLAGS) \
	$(LIBCRYPTO_CFLAGS)
# rsm_data.c: the tcp0 HELLO's proof of the token; rsm_data_seal.c: sealed
# tcp0 records (libsodium; AES-256-GCM from libcrypto where found).
libproto_la_LIBADD = $(SODIUM_LIBS) $(LIBCRYPTO_LIBS)
