/*
 * test_verbs_plan.c - the host-testable parts of the verbs transport:
 * cutting transfers into work requests of at most max_msg bytes with SGE
 * lists, the completion-status mapping, and the registration cache (with
 * fake registration, mapping and frame hooks).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <infiniband/verbs.h>

#include "rsmapi.h"
#include "verbs/verbs_plan.h"

static struct vplan_wr wrs[64];
static struct vplan_sge sges[64];

static struct vplan
plan_of(void)
{
	struct vplan p = { wrs, 0, 64, sges, 0, 64 };

	return p;
}

static void
test_split_by_max_msg(void **state)
{
	char buf[100];
	struct rsm_xport_iov iov = { buf, 1000, 100 };
	struct vplan p = plan_of();

	(void)state;
	assert_int_equal(vplan_build(&p, &iov, 1, 30, 4), 0);
	assert_int_equal(p.nwr, 4);
	assert_int_equal(wrs[0].remote_off, 1000);
	assert_int_equal(wrs[0].len, 30);
	assert_int_equal(wrs[3].remote_off, 1090);
	assert_int_equal(wrs[3].len, 10);
	assert_ptr_equal(sges[wrs[3].first].local, buf + 90);
	assert_int_equal(wrs[3].last, 1);
	assert_int_equal(wrs[0].last, 0);
}

static void
test_contiguous_entries_gather(void **state)
{
	char a[10], b[20], c[5];
	/* a and b continue each other remotely; c starts elsewhere. */
	struct rsm_xport_iov iov[3] = {
		{ a, 0, 10 }, { b, 10, 20 }, { c, 100, 5 },
	};
	struct vplan p = plan_of();

	(void)state;
	assert_int_equal(vplan_build(&p, iov, 3, 1 << 20, 16), 0);
	assert_int_equal(p.nwr, 2);
	assert_int_equal(wrs[0].nsge, 2);
	assert_int_equal(wrs[0].len, 30);
	assert_ptr_equal(sges[wrs[0].first].local, a);
	assert_ptr_equal(sges[wrs[0].first + 1].local, b);
	assert_int_equal(wrs[0].entry, 1);
	assert_int_equal(wrs[1].remote_off, 100);
	assert_int_equal(wrs[1].nsge, 1);
}

static void
test_sge_limit_and_chunk_across_entries(void **state)
{
	char x[8][4];
	struct rsm_xport_iov iov[8];
	struct vplan p = plan_of();
	size_t i, total = 0;

	(void)state;
	for (i = 0; i < 8; i++) {
		iov[i].local = x[i];
		iov[i].remote_off = i * 4;
		iov[i].len = 4;
	}
	/* At most 3 pieces per request. */
	assert_int_equal(vplan_build(&p, iov, 8, 1 << 20, 3), 0);
	assert_int_equal(p.nwr, 3);
	for (i = 0; i < p.nwr; i++) {
		assert_true(wrs[i].nsge <= 3);
		total += wrs[i].len;
	}
	assert_int_equal(total, 32);
	/* At most 6 bytes per request: an entry is split across two. */
	p = plan_of();
	assert_int_equal(vplan_build(&p, iov, 2, 6, 16), 0);
	assert_int_equal(p.nwr, 2);
	assert_int_equal(wrs[0].len, 6);
	assert_int_equal(wrs[0].nsge, 2);
	assert_int_equal(sges[1].len, 2);
	assert_int_equal(wrs[1].len, 2);
	assert_ptr_equal(sges[wrs[1].first].local, x[1] + 2);
}

static void
test_plan_limits(void **state)
{
	char buf[1];
	struct rsm_xport_iov iov = { buf, 0, 1000 };
	struct vplan p = plan_of();

	(void)state;
	p.wr_cap = 2;
	assert_int_equal(vplan_build(&p, &iov, 1, 10, 4), -1);
	p = plan_of();
	assert_int_equal(vplan_build(&p, &iov, 1, 0, 4), -1);
	/* Zero-length entries move nothing. */
	iov.len = 0;
	p = plan_of();
	assert_int_equal(vplan_build(&p, &iov, 1, 10, 4), 0);
	assert_int_equal(p.nwr, 0);
}

static void
test_wc_mapping(void **state)
{
	(void)state;
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_SUCCESS), RSM_SUCCESS);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_RETRY_EXC_ERR),
	    RSMERR_CONN_ABORTED);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_RNR_RETRY_EXC_ERR),
	    RSMERR_CONN_ABORTED);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_REM_ACCESS_ERR),
	    RSMERR_CONN_ABORTED);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_LOC_QP_OP_ERR),
	    RSMERR_CONN_ABORTED);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_WR_FLUSH_ERR),
	    RSMERR_CONN_ABORTED);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_LOC_PROT_ERR),
	    RSMERR_BARRIER_FAILURE);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_LOC_LEN_ERR),
	    RSMERR_BARRIER_FAILURE);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_REM_INV_REQ_ERR),
	    RSMERR_BARRIER_FAILURE);
	assert_int_equal(verbs_wc_to_rsm(IBV_WC_GENERAL_ERR),
	    RSMERR_BARRIER_FAILURE);
}

/* ---- the registration cache with fake hooks ---- */

static struct fake {
	int	 regs, deregs, drains, fail_reg;
	struct vrc_vma vma;	/* the one mapping, [0x10000, 0x90000) */
	uint64_t frame;		/* 0: frames not shown */
	uint32_t next_key;
} fk;

static int
f_reg(void *arg, void *addr, size_t len, int writable, void **mr,
    uint32_t *lkey)
{
	(void)arg; (void)addr; (void)len; (void)writable;
	if (fk.fail_reg)
		return ENOMEM;
	fk.regs++;
	*mr = (void *)(uintptr_t)(++fk.next_key);
	*lkey = fk.next_key;
	return 0;
}

static void
f_dereg(void *arg, void *mr)
{
	(void)arg; (void)mr;
	fk.deregs++;
}

static int
f_vma(void *arg, uintptr_t addr, struct vrc_vma *out)
{
	(void)arg;
	if (addr < fk.vma.start || addr >= fk.vma.end)
		return -1;
	*out = fk.vma;
	return 0;
}

static void
f_drain(void *arg)
{
	(void)arg;
	fk.drains++;
}

static uint64_t
f_pfn(void *arg, uintptr_t addr)
{
	(void)arg; (void)addr;
	return fk.frame;
}

static const struct vrc_ops fops = { f_reg, f_dereg, f_vma, f_drain, f_pfn };

static int
setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.vma.start = 0x10000;
	fk.vma.end = 0x90000;
	fk.vma.ino = 77;	/* a file mapping unless a test says otherwise */
	fk.vma.flags = 3;
	return 0;
}

static void
test_rcache_hit(void **state)
{
	struct vrc c;
	uint32_t k1, k2;

	(void)state;
	vrc_init(&c, &fops, NULL, 1 << 20, 4096);
	assert_int_equal(vrc_get(&c, (void *)0x11000, 8192, &k1), 0);
	assert_int_equal(vrc_get(&c, (void *)0x11000, 8192, &k2), 0);
	assert_int_equal(vrc_get(&c, (void *)0x11800, 100, &k2), 0);
	assert_int_equal(k1, k2);
	assert_int_equal(fk.regs, 1);
	assert_int_equal(c.hits, 2);
	vrc_flush(&c);
	assert_int_equal(fk.deregs, 1);
	assert_int_equal(fk.drains, 1);
}

static void
test_rcache_unmapped_or_replaced(void **state)
{
	struct vrc c;
	uint32_t k1, k2;

	(void)state;
	vrc_init(&c, &fops, NULL, 1 << 20, 4096);
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k1), 0);
	/* Unmapped: not registered, the stale entry goes when seen. */
	fk.vma.start = 0x50000;
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k2), EFAULT);
	/* Mapped again, from another file. */
	fk.vma.start = 0x10000;
	fk.vma.ino = 78;
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k2), 0);
	assert_int_not_equal(k1, k2);
	assert_int_equal(fk.regs, 2);
	assert_int_equal(fk.deregs, 1);
	assert_int_equal(c.stale, 1);
	/* Protections changed. */
	fk.vma.flags = 1;
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k1), 0);
	assert_int_not_equal(k1, k2);
	assert_int_equal(c.stale, 2);
	vrc_flush(&c);
}

static void
test_rcache_anonymous(void **state)
{
	struct vrc c;
	uint32_t k1, k2;

	(void)state;
	vrc_init(&c, &fops, NULL, 1 << 20, 4096);
	fk.vma.ino = 0;
	/* Frames shown: reused while the first page is the same frame. */
	fk.frame = 1234;
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k1), 0);
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k2), 0);
	assert_int_equal(k1, k2);
	/* Unmapped and mapped again at the same place: a new frame. */
	fk.frame = 999;
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k2), 0);
	assert_int_not_equal(k1, k2);
	assert_int_equal(c.stale, 1);
	/* Frames not shown: registered for one use only. */
	vrc_flush(&c);
	fk.frame = 0;
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k1), 0);
	assert_int_equal(c.ntemp, 1);
	assert_int_equal(vrc_get(&c, (void *)0x11000, 4096, &k2), 0);
	assert_int_not_equal(k1, k2);
	assert_int_equal(c.ntemp, 2);
	vrc_release_temps(&c);
	assert_int_equal(c.ntemp, 0);
	assert_int_equal(c.n, 0);
}

static void
test_rcache_eviction_and_limits(void **state)
{
	struct vrc c;
	uint32_t k;
	uintptr_t a;

	(void)state;
	/* Room for two 16 KiB registrations. */
	vrc_init(&c, &fops, NULL, 32768, 4096);
	for (a = 0x10000; a < 0x10000 + 4 * 0x4000; a += 0x4000)
		assert_int_equal(vrc_get(&c, (void *)a, 0x4000, &k), 0);
	assert_int_equal(c.n, 2);
	assert_true(c.bytes <= 32768);
	assert_int_equal(fk.deregs, 2);
	/* Larger than the whole budget. */
	assert_int_equal(vrc_get(&c, (void *)0x10000, 0x10000, &k), ENOMEM);
	/* Spanning past the mapping. */
	assert_int_equal(vrc_get(&c, (void *)0x8f000, 0x2000, &k), EFAULT);
	/* Pinning refused (RLIMIT_MEMLOCK). */
	vrc_flush(&c);
	fk.fail_reg = 1;
	assert_int_equal(vrc_get(&c, (void *)0x10000, 4096, &k), ENOMEM);
	vrc_flush(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_by_max_msg),
		cmocka_unit_test(test_contiguous_entries_gather),
		cmocka_unit_test(test_sge_limit_and_chunk_across_entries),
		cmocka_unit_test(test_plan_limits),
		cmocka_unit_test(test_wc_mapping),
		cmocka_unit_test_setup(test_rcache_hit, setup),
		cmocka_unit_test_setup(test_rcache_unmapped_or_replaced, setup),
		cmocka_unit_test_setup(test_rcache_anonymous, setup),
		cmocka_unit_test_setup(test_rcache_eviction_and_limits, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
