# rdma/: what both the library's verbs transport and the daemon need from
# rdma-core: the dlopen() table of libibverbs and librdmacm, and the
# node's devices as controllers verbsN.  A convenience library, so the
# daemon links no transport code and the transport no daemon code.
if HAVE_VERBS
noinst_LTLIBRARIES += librdma_rsm.la
librdma_rsm_la_SOURCES = rdma/verbs_dl.h rdma/verbs_dl.c \
	rdma/verbs_dev.h rdma/verbs_dev.c \
	rdma/verbs_addr.h rdma/verbs_addr.c
librdma_rsm_la_CPPFLAGS = $(BASE_CPPFLAGS) $(I_RDMA)
endif

# libucp/libucs the same way (ucx0): their dlopen() table, for the ucx
# transport and the daemon's ucx0 service.
if HAVE_UCX
noinst_LTLIBRARIES += libucx_rsm.la
libucx_rsm_la_SOURCES = rdma/ucx_dl.h rdma/ucx_dl.c
libucx_rsm_la_CPPFLAGS = $(BASE_CPPFLAGS) $(I_RDMA)
endif
