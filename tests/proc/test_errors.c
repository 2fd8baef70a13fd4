/*
 * test_errors.c - every documented error path of the RSMAPI, each asserting
 * the exact RSMERR_* value of the spec (../shared/spec/rsmapi-reference.md
 * section 3), the man pages and doc/internals.md, against a real private
 * rsmd.
 *
 * All library calls run in forked children: the test process itself never
 * opens a daemon link, so every child starts with a fresh library and the
 * tests that need a daemon with special limits can start one.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rsmapi.h>

#include "../harness.h"

/* A child may take this long. */
#define CHILD_MS	20000

/* A node that is not this one (harness daemons are node H_NODE_ID). */
#define OTHER_NODE	5u

/* The group's daemon (default limits). */

static size_t pg;

/* ---- helpers used inside children ---- */

/* Pages filled with a pattern, so a failed export can be seen to keep them. */
static void *
pattern_pages(size_t n, unsigned seed)
{
	unsigned char *p = h_pages(n * pg);

	if (p != NULL)
		for (size_t i = 0; i < n * pg; i++)
			p[i] = (unsigned char)(i * 7u + seed);
	return p;
}

static int
pattern_intact(const void *mem, size_t n, unsigned seed)
{
	const unsigned char *p = mem;

	for (size_t i = 0; i < n * pg; i++)
		if (p[i] != (unsigned char)(i * 7u + seed))
			return 0;
	return 1;
}

/*
 * The /proc/self/maps permissions of the mapping holding addr ("rw-p"),
 * or "" if unmapped.
 */
static void
map_perms(const void *addr, char out[5])
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");

	out[0] = '\0';
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		unsigned long lo, hi;
		char perms[5];

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 &&
		    (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
			memcpy(out, perms, 5);
			break;
		}
	}
	fclose(f);
}

static int
is_private_rw(const void *addr)
{
	char perms[5];

	map_perms(addr, perms);
	return strcmp(perms, "rw-p") == 0;
}

/*
 * Reserve then release n pages: an address range nothing maps.  The next
 * mmap may reuse it, so it is made right before the call that needs it.
 */
static void *
hole_pages(size_t n)
{
	void *p = h_pages(n * pg);

	if (p != NULL)
		h_pages_free(p, n * pg);
	return p;
}

/* One private page whose next page was just unmapped (see hole_pages). */
static char *
page_before_hole(void)
{
	char *p = h_pages(2 * pg);

	if (p != NULL)
		h_pages_free(p + pg, pg);
	return p;
}

struct seg {
	rsm_memseg_export_handle_t ex;
	void		*mem;
	size_t		 size;
	rsm_memseg_id_t	 id;
};

/* Create (and optionally publish with an empty ACL) an export of n pages. */
static int
seg_make(rsmapi_controller_handle_t c, size_t n, uint_t flags, int publish,
    struct seg *s)
{
	memset(s, 0, sizeof(*s));
	s->size = n * pg;
	H_CHECK((s->mem = pattern_pages(n, 1)) != NULL);
	H_CHECK_RC(rsm_memseg_export_create(c, &s->ex, s->mem, s->size, flags),
	    RSM_SUCCESS);
	if (publish)
		H_CHECK_RC(rsm_memseg_export_publish(s->ex, &s->id, NULL, 0),
		    RSM_SUCCESS);
	return 0;
}

static int
seg_drop(struct seg *s)
{
	H_CHECK_RC(rsm_memseg_export_destroy(s->ex), RSM_SUCCESS);
	h_pages_free(s->mem, s->size);
	return 0;
}

/* Connect with perm and, unless no_barrier, give the import a barrier. */
static int
imp_make(rsmapi_controller_handle_t c, rsm_memseg_id_t id, rsm_permission_t perm,
    int barrier, rsmapi_barrier_t *bar, rsm_memseg_import_handle_t *im)
{
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, id, perm, im),
	    RSM_SUCCESS);
	if (barrier)
		H_CHECK_RC(rsm_memseg_import_init_barrier(*im, RSM_BAR_DEFAULT,
		    bar), RSM_SUCCESS);
	return 0;
}

static int
ctlrs(rsmapi_controller_handle_t *loop, rsmapi_controller_handle_t *shm)
{
	H_CHECK_RC(rsm_get_controller(NULL, loop), RSM_SUCCESS);
	if (shm != NULL)
		H_CHECK_RC(rsm_get_controller("shm0", shm), RSM_SUCCESS);
	return 0;
}

/* ---- running children ---- */

static void
run_child(h_child_fn fn, void *arg, uid_t uid)
{
	int rc = h_run_child(fn, arg, uid, CHILD_MS);

	if (rc != 0)
		fprintf(stderr, "child failed: %d\n", rc);
	assert_int_equal(rc, 0);
}

/*
 * After a child is gone the daemon must hold nothing of it, and it must
 * never have refused a message (the library sends only well-formed ones).
 */
static void
check_daemon_clean(const struct h_rsmd *d)
{
	struct rsm_msg_status st;
	uint64_t end = h_now_ms() + 3000;

	for (;;) {
		assert_int_equal(h_rsmd_status(d, &st), 0);
		if (st.segments == 0 && st.imports == 0)
			break;
		assert_true(h_now_ms() < end);
		h_sleep_ms(10);
	}
	assert_int_equal(st.refused, 0);
}

static void
run(h_child_fn fn, void *arg)
{
	run_child(fn, arg, (uid_t)-1);
	check_daemon_clean(&h_daemon);
}

/* ---- the daemon's log ---- */

/* A line of the log holding both strings (b may be NULL). */
struct logline {
	const char	*a;
	const char	*b;
};

/* How many lines of the log at path hold l->a and l->b. */
static int
log_count(const char *path, const struct logline *l)
{
	char line[2048];
	FILE *fp = fopen(path, "r");
	int n = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, l->a) != NULL &&
		    (l->b == NULL || strstr(line, l->b) != NULL))
			n++;
	fclose(fp);
	return n;
}

/* The log at path gets such a line within 3 s (polled). */
static int
log_wait(const char *path, const struct logline *l)
{
	uint64_t end = h_now_ms() + 3000;

	while (log_count(path, l) == 0) {
		if (h_now_ms() >= end) {
			fprintf(stderr, "not in %s: a line with \"%s\"%s%s%s\n",
			    path, l->a, l->b ? " and \"" : "",
			    l->b ? l->b : "", l->b ? "\"" : "");
			return 0;
		}
		h_sleep_ms(20);
	}
	return 1;
}

/*
 * A foreground daemon's lines start with the time, UTC with milliseconds:
 * "2026-12-02T14:03:07.123Z rsmd: ".
 */
static int
stamped(const char *line)
{
	static const char shape[] = "####-##-##T##:##:##.###Z rsmd: ";
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == '#' ? line[i] < '0' || line[i] > '9' :
		    line[i] != shape[i])
			return 0;
	}
	return 1;
}

/* Every line of the log at path is stamped (and there is one). */
static int
log_all_stamped(const char *path)
{
	char line[2048];
	FILE *fp = fopen(path, "r");
	int n = 0, bad = 0;

	if (fp == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		n++;
		if (!stamped(line)) {
			fprintf(stderr, "not stamped: %s", line);
			bad++;
		}
	}
	fclose(fp);
	return n > 0 && bad == 0;
}

/*
 * Run fn in a child against a private daemon with extra config lines;
 * then the daemon's log must hold a line for each of want (NULL, or up to
 * an entry whose a is NULL), every line of it stamped.
 */
static void
run_with_daemon_logged(const char *extra, h_child_fn fn, void *arg,
    const struct logline *want)
{
	struct h_rsmd d;
	int rc, logged = 1;

	assert_int_equal(h_rsmd_start(&d, extra), 0);
	rc = h_run_child(fn, arg, (uid_t)-1, CHILD_MS);
	if (rc == 0) {
		check_daemon_clean(&d);
		for (; want != NULL && want->a != NULL; want++)
			logged &= log_wait(d.log, want);
		logged &= log_all_stamped(d.log);
	}
	if (rc != 0 || !logged)
		h_rsmd_dump_log(&d);
	h_rsmd_cleanup(&d);
	/* h_rsmd_start pointed the environment at d: back to the group's. */
	setenv(RSM_SOCKET_ENV, h_daemon.sock, 1);
	assert_int_equal(rc, 0);
	assert_true(logged);
}

/* Run fn in a child against a private daemon with extra config lines. */
static void
run_with_daemon(const char *extra, h_child_fn fn, void *arg)
{
	run_with_daemon_logged(extra, fn, arg, NULL);
}

/* ==== controllers ==== */

static int
c_controllers(void *arg)
{
	rsmapi_controller_handle_t c, c2, extra;
	rsmapi_controller_attr_t attr;
	char longname[64];
	static const char *absent[] = {
		"tcp1", "tcp", "verbs0", "nosuch", "", "shm1", "loopbackx",
		"loopback-1", "sci0"
	};

	(void)arg;
	/* NULL out-parameter. */
	H_CHECK_RC(rsm_get_controller(NULL, NULL), RSMERR_BAD_CTLR_HNDL);
	H_CHECK_RC(rsm_get_controller("shm0", NULL), RSMERR_BAD_CTLR_HNDL);
	/*
	 * Controllers this node does not have (tcp0 exists once the node's
	 * TCP data path is enabled, so only other units of it are asked
	 * for); the handle comes back NULL.
	 */
	for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		c = (rsmapi_controller_handle_t)(uintptr_t)0x1234;
		if (rsm_get_controller((char *)absent[i], &c) !=
		    RSMERR_CTLR_NOT_PRESENT)
			fprintf(stderr, "controller \"%s\"\n", absent[i]);
		H_CHECK(c == NULL);
		H_CHECK_RC(rsm_get_controller((char *)absent[i], &c),
		    RSMERR_CTLR_NOT_PRESENT);
	}
	/* tcp0: present exactly when this node's TCP data path is up. */
	c = (rsmapi_controller_handle_t)(uintptr_t)0x1234;
	switch (rsm_get_controller("tcp0", &c)) {
	case RSM_SUCCESS:
		H_CHECK(c != NULL);
		H_CHECK_RC(rsm_release_controller(c), RSM_SUCCESS);
		break;
	case RSMERR_CTLR_NOT_PRESENT:
		H_CHECK(c == NULL);
		break;
	default:
		H_CHECK(!"tcp0: neither a handle nor RSMERR_CTLR_NOT_PRESENT");
	}
	memset(longname, 'l', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	memcpy(longname, "loopback", 8);
	H_CHECK_RC(rsm_get_controller(longname, &c), RSMERR_CTLR_NOT_PRESENT);

	/* attr: NULL out-parameter, then bad handles. */
	H_CHECK_RC(rsm_get_controller(NULL, &c), RSM_SUCCESS);
	H_CHECK_RC(rsm_get_controller_attr(c, NULL), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_get_controller_attr(NULL, &attr), RSMERR_BAD_CTLR_HNDL);
	H_CHECK_RC(rsm_get_controller_attr(
	    (rsmapi_controller_handle_t)(void *)&attr, &attr),
	    RSMERR_BAD_CTLR_HNDL);
	H_CHECK_RC(rsm_get_controller_attr(c, &attr), RSM_SUCCESS);
	H_CHECK(attr.attr_page_size == pg);

	/* The same controller twice is one handle with two references. */
	H_CHECK_RC(rsm_get_controller("loopback", &c2), RSM_SUCCESS);
	H_CHECK(c2 == c);
	H_CHECK_RC(rsm_release_controller(c2), RSM_SUCCESS);
	H_CHECK_RC(rsm_get_controller_attr(c, &attr), RSM_SUCCESS);
	H_CHECK_RC(rsm_release_controller(c), RSM_SUCCESS);
	/* Released to zero: the handle is dead for every use. */
	H_CHECK_RC(rsm_release_controller(c), RSMERR_BAD_CTLR_HNDL);
	H_CHECK_RC(rsm_get_controller_attr(c, &attr), RSMERR_BAD_CTLR_HNDL);
	H_CHECK_RC(rsm_release_controller(NULL), RSMERR_BAD_CTLR_HNDL);
	H_CHECK_RC(rsm_release_controller(
	    (rsmapi_controller_handle_t)(uintptr_t)1), RSMERR_BAD_CTLR_HNDL);

	/* A unit of loopback is a controller of its own name. */
	H_CHECK_RC(rsm_get_controller("loopback7", &extra), RSM_SUCCESS);
	H_CHECK_RC(rsm_release_controller(extra), RSM_SUCCESS);
	return 0;
}

static void
test_controllers(void **state)
{
	(void)state;
	run(c_controllers, NULL);
}

/* No daemon: the spec's "KA does not know the adapter" / no /dev/rsm. */
static int
c_no_daemon(void *arg)
{
	rsmapi_controller_handle_t c = (rsmapi_controller_handle_t)(uintptr_t)8;
	rsm_topology_t *t = (rsm_topology_t *)(uintptr_t)8;
	char path[256];

	snprintf(path, sizeof(path), "%s/nobody-listens.sock", (char *)arg);
	setenv(RSM_SOCKET_ENV, path, 1);
	H_CHECK_RC(rsm_get_controller(NULL, &c), RSMERR_CTLR_NOT_PRESENT);
	H_CHECK(c == NULL);
	H_CHECK_RC(rsm_get_controller("shm0", &c), RSMERR_CTLR_NOT_PRESENT);
	H_CHECK_RC(rsm_get_interconnect_topology(&t),
	    RSMERR_INSUFFICIENT_RESOURCES);
	H_CHECK(t == NULL);
	return 0;
}

static void
test_no_daemon(void **state)
{
	(void)state;
	run(c_no_daemon, h_daemon.dir);
}

/* ==== bad handles of every kind, for every function family ==== */

struct bad_set {
	void	*p[16];
	int	 n;
};

static void
bad_add(struct bad_set *b, const void *p)
{
	b->p[b->n++] = (void *)(uintptr_t)p;
}

/* Pointers that are no handle at all; `live` is a live handle (arena). */
static void
bad_common(struct bad_set *b, void *live, void *stackp, void *heapp)
{
	b->n = 0;
	bad_add(b, NULL);
	bad_add(b, (void *)(uintptr_t)1);
	bad_add(b, (void *)(uintptr_t)0xdeadbeefcafef00dull);	/* non-canonical */
	bad_add(b, (void *)(uintptr_t)UINTPTR_MAX);
	bad_add(b, stackp);
	bad_add(b, heapp);
	bad_add(b, hole_pages(1));				/* unmapped */
	bad_add(b, (char *)live + 8);		/* inside a live slot */
	bad_add(b, (char *)live + 512 * 4000);	/* a slot never handed out */
}

static int
c_bad_handles(void *arg)
{
	rsmapi_controller_handle_t c, dead_c;
	rsm_memseg_export_handle_t ex_dead, e;
	rsm_memseg_import_handle_t im, im_dead, i2;
	rsm_localmemory_handle_t lm, lm_dead, l2;
	rsmapi_controller_attr_t attr;
	rsmapi_barrier_t bar, bb;
	rsm_barrier_mode_t mode;
	rsm_scat_gath_t sg;
	rsm_iovec_t iov;
	struct pollfd pfd;
	struct seg s, s2;
	struct bad_set b;
	rsm_memseg_id_t id;
	void *heapp = malloc(64), *addr;
	char *buf;
	int stackv = 0;

	(void)arg;
	H_CHECK(heapp != NULL);
	H_CHECK((buf = h_pages(4 * pg)) != NULL);
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 2, RSM_ALLOW_REBIND, 1, &s) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 1, &bar, &im) == 0);
	H_CHECK_RC(rsm_create_localmemory_handle(c, &lm, buf, pg), RSM_SUCCESS);
	/* Dead handles of each kind. */
	H_CHECK_RC(rsm_get_controller("loopback3", &dead_c), RSM_SUCCESS);
	H_CHECK_RC(rsm_release_controller(dead_c), RSM_SUCCESS);
	H_CHECK(seg_make(c, 1, 0, 1, &s2) == 0);
	ex_dead = s2.ex;
	H_CHECK(imp_make(c, s2.id, RSM_PERM_RDWR, 0, NULL, &im_dead) == 0);
	H_CHECK_RC(rsm_memseg_import_disconnect(im_dead), RSM_SUCCESS);
	H_CHECK(seg_drop(&s2) == 0);
	H_CHECK_RC(rsm_create_localmemory_handle(c, &lm_dead, buf, pg),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_free_localmemory_handle(c, lm_dead), RSM_SUCCESS);

	/* Controller functions: everything that is not a live controller. */
	bad_common(&b, c, &stackv, heapp);
	bad_add(&b, dead_c);
	bad_add(&b, s.ex);
	bad_add(&b, im);
	bad_add(&b, lm);
	for (int i = 0; i < b.n; i++) {
		rsmapi_controller_handle_t x = b.p[i];

		H_CHECK_RC(rsm_get_controller_attr(x, &attr),
		    RSMERR_BAD_CTLR_HNDL);
		H_CHECK_RC(rsm_release_controller(x), RSMERR_BAD_CTLR_HNDL);
		e = (rsm_memseg_export_handle_t)(uintptr_t)1;
		H_CHECK_RC(rsm_memseg_export_create(x, &e, buf + 2 * pg, pg, 0),
		    RSMERR_BAD_CTLR_HNDL);
		H_CHECK(e == NULL);
		i2 = (rsm_memseg_import_handle_t)(uintptr_t)1;
		H_CHECK_RC(rsm_memseg_import_connect(x, H_NODE_ID, s.id,
		    RSM_PERM_RDWR, &i2), RSMERR_BAD_CTLR_HNDL);
		H_CHECK(i2 == NULL);
		H_CHECK_RC(rsm_create_localmemory_handle(x, &l2, buf, pg),
		    RSMERR_BAD_CTLR_HNDL);
		H_CHECK_RC(rsm_free_localmemory_handle(x, lm),
		    RSMERR_BAD_CTLR_HNDL);
	}
	/* The buffer given to the refused creates is still ordinary memory. */
	H_CHECK(is_private_rw(buf + 2 * pg));

	/* Export functions. */
	bad_common(&b, s.ex, &stackv, heapp);
	bad_add(&b, ex_dead);
	bad_add(&b, im);
	bad_add(&b, c);
	bad_add(&b, lm);
	for (int i = 0; i < b.n; i++) {
		rsm_memseg_export_handle_t x = b.p[i];

		H_CHECK_RC(rsm_memseg_export_destroy(x), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_export_rebind(x, buf + 2 * pg, 0, 2 * pg),
		    RSMERR_BAD_SEG_HNDL);
		id = 0;
		H_CHECK_RC(rsm_memseg_export_publish(x, &id, NULL, 0),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_export_unpublish(x), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_export_republish(x, NULL, 0),
		    RSMERR_BAD_SEG_HNDL);
	}

	/* Import functions. */
	bad_common(&b, im, &stackv, heapp);
	bad_add(&b, im_dead);
	bad_add(&b, s.ex);
	bad_add(&b, c);
	bad_add(&b, lm);
	for (int i = 0; i < b.n; i++) {
		rsm_memseg_import_handle_t x = b.p[i];
		uint64_t v[2] = { 0, 0 };

		H_CHECK_RC(rsm_memseg_import_disconnect(x), RSMERR_BAD_SEG_HNDL);
		addr = NULL;
		H_CHECK_RC(rsm_memseg_import_map(x, &addr, RSM_MAP_NONE,
		    RSM_PERM_RDWR, 0, pg), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_unmap(x), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_get(x, 0, v, 8), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_put(x, 0, v, 8), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_get8(x, 0, (uint8_t *)v, 1),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_get16(x, 0, (uint16_t *)v, 1),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_get32(x, 0, (uint32_t *)v, 1),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_get64(x, 0, v, 1),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_put8(x, 0, (uint8_t *)v, 1),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_put16(x, 0, (uint16_t *)v, 1),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_put32(x, 0, (uint32_t *)v, 1),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_put64(x, 0, v, 1),
		    RSMERR_BAD_SEG_HNDL);
		/* The overflow path keeps the handle check first. */
		H_CHECK_RC(rsm_memseg_import_put64(x, 0, v, ULONG_MAX),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_init_barrier(x, RSM_BAR_DEFAULT,
		    &bb), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_get_mode(x, &mode),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_set_mode(x,
		    RSM_BARRIER_MODE_EXPLICIT), RSMERR_BAD_SEG_HNDL);
		memset(&iov, 0, sizeof(iov));
		iov.io_type = RSM_VA_TYPE;
		iov.local.vaddr = (caddr_t)v;
		iov.transfer_length = 8;
		memset(&sg, 0, sizeof(sg));
		sg.io_request_count = 1;
		sg.remote_handle = x;
		sg.iovec = &iov;
		H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_SEG_HNDL);
		/* A barrier whose handle is not a live import. */
		if (x != NULL) {
			bb = bar;
			bb.seg = x;
			H_CHECK_RC(rsm_memseg_import_open_barrier(&bb),
			    RSMERR_BAD_SEG_HNDL);
			H_CHECK_RC(rsm_memseg_import_order_barrier(&bb),
			    RSMERR_BAD_SEG_HNDL);
			H_CHECK_RC(rsm_memseg_import_close_barrier(&bb),
			    RSMERR_BAD_SEG_HNDL);
			H_CHECK_RC(rsm_memseg_import_destroy_barrier(&bb),
			    RSMERR_BAD_SEG_HNDL);
		}
	}

	/* Event functions take either segment kind; nothing else. */
	bad_common(&b, im, &stackv, heapp);
	bad_add(&b, im_dead);
	bad_add(&b, ex_dead);
	bad_add(&b, c);
	bad_add(&b, lm);
	for (int i = 0; i < b.n; i++) {
		H_CHECK_RC(rsm_intr_signal_post(b.p[i], 0), RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_intr_signal_wait(b.p[i], 0), RSMERR_BAD_SEG_HNDL);
		/* A bad handle is refused before any wait, even forever. */
		H_CHECK_RC(rsm_intr_signal_wait(b.p[i], -1),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_get_pollfd(b.p[i], &pfd),
		    RSMERR_BAD_SEG_HNDL);
		H_CHECK_RC(rsm_memseg_release_pollfd(b.p[i]),
		    RSMERR_BAD_SEG_HNDL);
	}

	/* Local memory handles. */
	bad_common(&b, lm, &stackv, heapp);
	bad_add(&b, lm_dead);
	bad_add(&b, im);
	bad_add(&b, s.ex);
	bad_add(&b, c);
	for (int i = 0; i < b.n; i++) {
		H_CHECK_RC(rsm_free_localmemory_handle(c, b.p[i]),
		    RSMERR_BAD_LOCALMEM_HNDL);
		/* In a list entry: the spec's "not a valid local handle". */
		memset(&iov, 0, sizeof(iov));
		iov.io_type = RSM_HANDLE_TYPE;
		iov.local.handle = b.p[i];
		iov.transfer_length = 8;
		memset(&sg, 0, sizeof(sg));
		sg.io_request_count = 1;
		sg.remote_handle = im;
		sg.iovec = &iov;
		H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SGIO);
		H_CHECK(sg.io_residual_count == 1);
		H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_SGIO);
	}

	/* Nothing above disturbed the live handles. */
	H_CHECK_RC(rsm_memseg_import_put(im, 0, buf, 16), RSM_SUCCESS);
	H_CHECK_RC(rsm_get_controller_attr(c, &attr), RSM_SUCCESS);
	H_CHECK_RC(rsm_free_localmemory_handle(c, lm), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK(seg_drop(&s) == 0);
	H_CHECK_RC(rsm_release_controller(c), RSM_SUCCESS);
	free(heapp);
	return 0;
}

static void
test_bad_handles(void **state)
{
	(void)state;
	run(c_bad_handles, NULL);
}

/* ==== NULL out-parameters ==== */

static int
c_null_outputs(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im;
	rsm_memseg_id_t base;
	struct pollfd pfd = { -1, 0, 0 };
	uint32_t len;
	struct seg s;
	void *buf;
	int n = 7;

	(void)arg;
	H_CHECK((buf = h_pages(pg)) != NULL);
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK_RC(rsm_memseg_export_create(c, NULL, buf, pg, 0),
	    RSMERR_BAD_SEG_HNDL);
	H_CHECK(is_private_rw(buf));
	H_CHECK(seg_make(c, 1, 0, 0, &s) == 0);
	H_CHECK_RC(rsm_memseg_export_publish(s.ex, NULL, NULL, 0),
	    RSMERR_BAD_SEGID);
	/* Still unpublished: a good publish works. */
	H_CHECK_RC(rsm_memseg_export_publish(s.ex, &s.id, NULL, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, s.id, RSM_PERM_RDWR,
	    NULL), RSMERR_BAD_SEG_HNDL);
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 0, NULL, &im) == 0);
	H_CHECK_RC(rsm_memseg_import_map(im, NULL, RSM_MAP_NONE, RSM_PERM_RDWR,
	    0, pg), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_get_mode(im, NULL), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, RSM_BAR_DEFAULT, NULL),
	    RSMERR_BAD_BARRIER_PTR);
	H_CHECK_RC(rsm_memseg_import_get(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_put(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_get8(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_get16(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_get32(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_get64(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_put8(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_put16(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_put32(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_put64(im, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_put64(im, 0, NULL, ULONG_MAX),
	    RSMERR_BAD_ADDR);
	/* A NULL pollfd takes no reference: disconnect and destroy work. */
	H_CHECK_RC(rsm_memseg_get_pollfd(im, NULL), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_get_pollfd(s.ex, NULL), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_create_localmemory_handle(c, NULL, buf, pg),
	    RSMERR_BAD_LOCALMEM_HNDL);
	H_CHECK_RC(rsm_get_interconnect_topology(NULL),
	    RSMERR_BAD_TOPOLOGY_PTR);
	H_CHECK_RC(rsm_get_segmentid_range(NULL, &base, &len), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_get_segmentid_range("app", NULL, &len), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_get_segmentid_range("app", &base, NULL), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(NULL, 1, 0, &n), RSMERR_BAD_ADDR);
	H_CHECK(n == 0);
	/* No descriptors, no wait: a timeout; numfdsp is optional. */
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(NULL, 0, 0, NULL),
	    RSMERR_TIMEOUT);
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(&pfd, 1, 0, NULL),
	    RSMERR_TIMEOUT);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_null_outputs(void **state)
{
	(void)state;
	run(c_null_outputs, NULL);
}

/* ==== export_create ==== */

static int
c_export_create(void *arg)
{
	rsmapi_controller_handle_t loop, shm, cs[2];
	rsm_memseg_export_handle_t e, e2;
	char *p, *q, *ro, *sh, *hole;

	(void)arg;
	H_CHECK(ctlrs(&loop, &shm) == 0);
	cs[0] = loop;
	cs[1] = shm;
	H_CHECK((p = pattern_pages(4, 3)) != NULL);
	ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	sh = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	H_CHECK(ro != MAP_FAILED && sh != MAP_FAILED);

	for (int k = 0; k < 2; k++) {
		rsmapi_controller_handle_t c = cs[k];

#define CREATE_FAILS(vaddr, size, flags, want) do {			\
	e = (rsm_memseg_export_handle_t)(uintptr_t)1;			\
	H_CHECK_RC(rsm_memseg_export_create(c, &e, (vaddr), (size),	\
	    (flags)), (want));						\
	H_CHECK(e == NULL);						\
} while (0)
		CREATE_FAILS(p, pg, RSM_LOCK_OPS, RSMERR_LOCKS_NOT_SUPPORTED);
		CREATE_FAILS(p, pg, RSM_LOCK_OPS | RSM_ALLOW_REBIND,
		    RSMERR_LOCKS_NOT_SUPPORTED);
		CREATE_FAILS(p, pg, 0x8, RSMERR_BAD_MODE);
		CREATE_FAILS(p, pg, 0x80000000u, RSMERR_BAD_MODE);
		CREATE_FAILS(p, pg, ~0u & ~(uint_t)RSM_LOCK_OPS,
		    RSMERR_BAD_MODE);
		CREATE_FAILS(NULL, pg, 0, RSMERR_BAD_ADDR);
		CREATE_FAILS(p + 1, pg, 0, RSMERR_BAD_MEM_ALIGNMENT);
		CREATE_FAILS(p + pg / 2, pg, 0, RSMERR_BAD_MEM_ALIGNMENT);
		CREATE_FAILS(p, 0, 0, RSMERR_BAD_LENGTH);
		/* A size that is not a page multiple (illumos, man page). */
		CREATE_FAILS(p, pg + 1, 0, RSMERR_BAD_MEM_ALIGNMENT);
		CREATE_FAILS(p, pg - 1, 0, RSMERR_BAD_MEM_ALIGNMENT);
		/* Memory that cannot be moved into a segment. */
		H_CHECK((hole = hole_pages(2)) != NULL);
		CREATE_FAILS(hole, pg, 0, RSMERR_BAD_ADDR);
		H_CHECK((q = page_before_hole()) != NULL);
		CREATE_FAILS(q, 2 * pg, 0, RSMERR_BAD_ADDR);
		H_CHECK(is_private_rw(q));
		CREATE_FAILS(sh, pg, 0, RSMERR_BAD_ADDR);
		CREATE_FAILS(ro, pg, 0, RSMERR_PERM_DENIED);
		/* Wrapping around the address space. */
		CREATE_FAILS((void *)(uintptr_t)(UINTPTR_MAX & ~(pg - 1)),
		    2 * pg, 0, RSMERR_BAD_ADDR);
		/*
		 * Above max_segment_size (64 GiB by default): shm0 refuses in
		 * the library; loopback skips that check (spec 3.2), so the
		 * range (unmapped) is what fails there.
		 */
		H_CHECK((q = page_before_hole()) != NULL);
		CREATE_FAILS(q, (size_t)128 << 30, 0,
		    k == 0 ? RSMERR_BAD_ADDR : RSMERR_BAD_LENGTH);
		CREATE_FAILS(q, SIZE_MAX & ~(pg - 1), 0,
		    k == 0 ? RSMERR_BAD_ADDR : RSMERR_BAD_LENGTH);
#undef CREATE_FAILS
	}
	/* Every refusal left the memory where and as it was. */
	H_CHECK(pattern_intact(p, 4, 3));
	H_CHECK(is_private_rw(p) && is_private_rw(p + 3 * pg));
	/* The pages are still exportable after all that. */
	H_CHECK_RC(rsm_memseg_export_create(shm, &e, p, 4 * pg, 0), RSM_SUCCESS);
	H_CHECK(pattern_intact(p, 4, 3));
	/* Exported memory is shared now: it cannot be exported twice. */
	e2 = (rsm_memseg_export_handle_t)(uintptr_t)1;
	H_CHECK_RC(rsm_memseg_export_create(loop, &e2, p, pg, 0),
	    RSMERR_BAD_ADDR);
	H_CHECK(e2 == NULL);
	H_CHECK_RC(rsm_memseg_export_destroy(e), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(e), RSMERR_BAD_SEG_HNDL);
	return 0;
}

static void
test_export_create(void **state)
{
	(void)state;
	run(c_export_create, NULL);
}

/* ==== destroy, rebind ==== */

static int
c_destroy_rebind(void *arg)
{
	rsmapi_controller_handle_t c;
	struct seg s, r;
	struct pollfd pfd;
	char *n, *q, *ro, *hole;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	/* destroy with a poll descriptor held. */
	H_CHECK(seg_make(c, 1, 0, 1, &s) == 0);
	H_CHECK_RC(rsm_memseg_get_pollfd(s.ex, &pfd), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_get_pollfd(s.ex, &pfd), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(s.ex), RSMERR_POLLFD_IN_USE);
	H_CHECK_RC(rsm_memseg_release_pollfd(s.ex), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(s.ex), RSMERR_POLLFD_IN_USE);
	H_CHECK_RC(rsm_memseg_release_pollfd(s.ex), RSM_SUCCESS);
	/* Releasing at zero is a no-op (spec 3.7). */
	H_CHECK_RC(rsm_memseg_release_pollfd(s.ex), RSM_SUCCESS);
	H_CHECK(seg_drop(&s) == 0);

	/* rebind. */
	H_CHECK(seg_make(c, 2, 0, 1, &s) == 0);
	H_CHECK(seg_make(c, 2, RSM_ALLOW_REBIND, 0, &r) == 0);
	H_CHECK((n = pattern_pages(3, 9)) != NULL);
	ro = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	H_CHECK(ro != MAP_FAILED);
	H_CHECK_RC(rsm_memseg_export_rebind(s.ex, n, 0, 2 * pg),
	    RSMERR_REBIND_NOT_ALLOWED);
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, NULL, 0, 2 * pg),
	    RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, n + 1, 0, 2 * pg),
	    RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, n, 0, pg), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, n, 0, 3 * pg),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, n, 0, 0), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, n, 0, SIZE_MAX),
	    RSMERR_BAD_LENGTH);
	H_CHECK((hole = hole_pages(2)) != NULL);
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, hole, 0, 2 * pg),
	    RSMERR_BAD_ADDR);
	H_CHECK((q = page_before_hole()) != NULL);
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, q, 0, 2 * pg),
	    RSMERR_BAD_ADDR);
	H_CHECK(is_private_rw(q));
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, ro, 0, 2 * pg),
	    RSMERR_PERM_DENIED);
	/* Overlapping the current range. */
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, (char *)r.mem + pg, 0,
	    2 * pg), RSMERR_BAD_ADDR);
	/* The current range itself is a no-op; `off` is ignored. */
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, r.mem, 12345, 2 * pg),
	    RSM_SUCCESS);
	/* Every refusal left the new range private and intact. */
	H_CHECK(pattern_intact(n, 3, 9) && is_private_rw(n));
	H_CHECK_RC(rsm_memseg_export_rebind(r.ex, n, -1, 2 * pg), RSM_SUCCESS);
	H_CHECK(is_private_rw(r.mem) && !is_private_rw(n));
	H_CHECK(seg_drop(&s) == 0);
	H_CHECK_RC(rsm_memseg_export_destroy(r.ex), RSM_SUCCESS);
	H_CHECK(is_private_rw(n) && pattern_intact(n, 2, 9));
	return 0;
}

static void
test_destroy_rebind(void **state)
{
	(void)state;
	run(c_destroy_rebind, NULL);
}

/* ==== publish, unpublish, republish ==== */

static int
c_publish(void *arg)
{
	rsmapi_controller_handle_t loop, shm;
	rsmapi_access_entry_t acl[RSM_ACL_MAX + 1];
	struct seg a, b, l;
	rsm_memseg_id_t id;
	static const rsm_memseg_id_t reserved[] = {
		1, 0xfffff, 0x100000, 0x200000, 0x2fffff, 0x3fffff,
		0x80000000u, 0x80000001u, 0xfffffffeu, 0xffffffffu
	};

	(void)arg;
	H_CHECK(ctlrs(&loop, &shm) == 0);
	H_CHECK(seg_make(shm, 1, 0, 0, &a) == 0);
	H_CHECK(seg_make(shm, 1, 0, 0, &b) == 0);
	H_CHECK(seg_make(loop, 1, 0, 0, &l) == 0);

	/* Reserved ids; the caller's id is left alone. */
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		id = reserved[i];
		H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, NULL, 0),
		    RSMERR_RESERVED_SEGID);
		H_CHECK(id == reserved[i]);
	}

	/* ACLs (spec 4.4). */
	for (unsigned i = 0; i <= RSM_ACL_MAX; i++) {
		acl[i].ae_node = i % (RSM_NODE_ID_MAX + 1);
		acl[i].ae_permission = 0600;
	}
	id = 0x400123;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, NULL, 1),
	    RSMERR_BAD_ACL);
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, RSM_ACL_MAX + 1),
	    RSMERR_BAD_ACL);
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, UINT_MAX),
	    RSMERR_BAD_ACL);
	acl[0].ae_node = RSM_NODE_ID_MAX + 1;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 1), RSMERR_BAD_ACL);
	acl[0].ae_node = 65536;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 1), RSMERR_BAD_ACL);
	/* Ids are compared whole: 0x1000ffff is not 65535. */
	acl[0].ae_node = 0x1000ffffu;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 1), RSMERR_BAD_ACL);
	acl[0].ae_node = UINT32_MAX;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 1), RSMERR_BAD_ACL);
	acl[0].ae_node = H_NODE_ID;
	acl[0].ae_permission = 0667;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 1), RSMERR_BAD_ACL);
	/* The comparison is numeric, as in illumos: 0700 > 0666. */
	acl[0].ae_permission = 0700;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 1), RSMERR_BAD_ACL);
	acl[0].ae_permission = UINT32_MAX;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 1), RSMERR_BAD_ACL);
	/* A later bad entry spoils the list. */
	acl[0].ae_permission = 0600;
	acl[1].ae_node = OTHER_NODE;
	acl[1].ae_permission = 01000;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 2), RSMERR_BAD_ACL);
	/* loopback: at most one entry, and only for this node. */
	acl[1].ae_permission = 0600;
	H_CHECK_RC(rsm_memseg_export_publish(l.ex, &id, acl, 2), RSMERR_BAD_ACL);
	acl[0].ae_node = OTHER_NODE;
	H_CHECK_RC(rsm_memseg_export_publish(l.ex, &id, acl, 1), RSMERR_BAD_ACL);
	H_CHECK(id == 0x400123);
	/* None of that published anything. */
	H_CHECK_RC(rsm_memseg_export_unpublish(a.ex), RSMERR_SEG_NOT_PUBLISHED);
	H_CHECK_RC(rsm_memseg_export_unpublish(l.ex), RSMERR_SEG_NOT_PUBLISHED);
	H_CHECK_RC(rsm_memseg_export_republish(a.ex, NULL, 0),
	    RSMERR_SEG_NOT_PUBLISHED);
	acl[0].ae_node = H_NODE_ID;
	H_CHECK_RC(rsm_memseg_export_republish(a.ex, acl, 1),
	    RSMERR_SEG_NOT_PUBLISHED);

	/* Good lists: two entries on shm0, the local node on loopback. */
	acl[0].ae_node = H_NODE_ID;
	acl[1].ae_node = OTHER_NODE;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 2), RSM_SUCCESS);
	H_CHECK(id == 0x400123);
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, acl, 2),
	    RSMERR_SEG_ALREADY_PUBLISHED);
	/* The id is taken on the node, whichever controller. */
	H_CHECK_RC(rsm_memseg_export_publish(b.ex, &id, NULL, 0),
	    RSMERR_SEGID_IN_USE);
	H_CHECK_RC(rsm_memseg_export_publish(l.ex, &id, acl, 1),
	    RSMERR_SEGID_IN_USE);
	/* Application range edges. */
	id = RSM_HPC_ID_BASE;
	H_CHECK_RC(rsm_memseg_export_publish(b.ex, &id, NULL, 0), RSM_SUCCESS);
	id = 0x7fffffff;
	H_CHECK_RC(rsm_memseg_export_publish(l.ex, &id, acl, 1), RSM_SUCCESS);

	/* republish: bad lists refused, the old list still in force. */
	H_CHECK_RC(rsm_memseg_export_republish(a.ex, NULL, 3), RSMERR_BAD_ACL);
	acl[2].ae_node = 65536;
	acl[2].ae_permission = 0;
	H_CHECK_RC(rsm_memseg_export_republish(a.ex, acl, 3), RSMERR_BAD_ACL);
	H_CHECK_RC(rsm_memseg_export_republish(a.ex, acl, RSM_ACL_MAX + 1),
	    RSMERR_BAD_ACL);
	H_CHECK_RC(rsm_memseg_export_republish(l.ex, acl, 2), RSMERR_BAD_ACL);
	acl[2].ae_node = RSM_NODE_ID_MAX;
	H_CHECK_RC(rsm_memseg_export_republish(a.ex, acl, 3), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_republish(a.ex, acl, 2), RSM_SUCCESS);

	/* unpublish twice; an unpublished id is free again. */
	id = 0x400123;
	H_CHECK_RC(rsm_memseg_export_unpublish(a.ex), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_unpublish(a.ex), RSMERR_SEG_NOT_PUBLISHED);
	H_CHECK_RC(rsm_memseg_export_republish(a.ex, NULL, 0),
	    RSMERR_SEG_NOT_PUBLISHED);
	H_CHECK_RC(rsm_memseg_export_unpublish(b.ex), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(b.ex, &id, NULL, 0), RSM_SUCCESS);
	/* Automatic ids come from the reserved system range. */
	id = 0;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, NULL, 0), RSM_SUCCESS);
	H_CHECK(id >= RSM_USER_APP_ID_BASE);
	H_CHECK(seg_drop(&a) == 0);
	H_CHECK(seg_drop(&b) == 0);
	H_CHECK(seg_drop(&l) == 0);
	return 0;
}

static void
test_publish(void **state)
{
	(void)state;
	run(c_publish, NULL);
}

/* segid_min/segid_max narrow what a node accepts. */
static int
c_segid_range(void *arg)
{
	rsmapi_controller_handle_t c;
	struct seg s;
	rsm_memseg_id_t id;
	static const rsm_memseg_id_t out[] = {
		0x400000, 0x4fffff, 0x600000, 0x7fffffff, 0x3fffff, 0x80000000u
	};

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 0, &s) == 0);
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++) {
		id = out[i];
		H_CHECK_RC(rsm_memseg_export_publish(s.ex, &id, NULL, 0),
		    RSMERR_RESERVED_SEGID);
	}
	id = 0x5fffff;
	H_CHECK_RC(rsm_memseg_export_publish(s.ex, &id, NULL, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_unpublish(s.ex), RSM_SUCCESS);
	id = 0x500000;
	H_CHECK_RC(rsm_memseg_export_publish(s.ex, &id, NULL, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_unpublish(s.ex), RSM_SUCCESS);
	/* Automatic ids are outside the application range: still given. */
	id = 0;
	H_CHECK_RC(rsm_memseg_export_publish(s.ex, &id, NULL, 0), RSM_SUCCESS);
	H_CHECK(id >= RSM_USER_APP_ID_BASE);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_segid_range(void **state)
{
	(void)state;
	run_with_daemon("segid_min = 0x500000\nsegid_max = 0x5fffff",
	    c_segid_range, NULL);
}

/* Only the creating process may change a segment. */
struct nc_arg {
	struct seg	*pub, *unpub;
	char		*newmem;
};

static int
c_not_creator_child(void *arg)
{
	struct nc_arg *a = arg;
	rsm_memseg_id_t id = 0x400777;

	H_CHECK_RC(rsm_memseg_export_publish(a->unpub->ex, &id, NULL, 0),
	    RSMERR_NOT_CREATOR);
	H_CHECK_RC(rsm_memseg_export_unpublish(a->pub->ex), RSMERR_NOT_CREATOR);
	H_CHECK_RC(rsm_memseg_export_republish(a->pub->ex, NULL, 0),
	    RSMERR_NOT_CREATOR);
	H_CHECK_RC(rsm_memseg_export_rebind(a->unpub->ex, a->newmem, 0,
	    a->unpub->size), RSMERR_NOT_CREATOR);
	return 0;
}

static int
c_not_creator(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im;
	struct seg pub, unpub;
	struct nc_arg a;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 1, &pub) == 0);
	H_CHECK(seg_make(c, 1, RSM_ALLOW_REBIND, 0, &unpub) == 0);
	a.pub = &pub;
	a.unpub = &unpub;
	H_CHECK((a.newmem = h_pages(pg)) != NULL);
	H_CHECK(h_run_child(c_not_creator_child, &a, (uid_t)-1, 10000) == 0);
	/* The creator still can, and the segment was not touched. */
	H_CHECK(imp_make(c, pub.id, RSM_PERM_READ, 0, NULL, &im) == 0);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_rebind(unpub.ex, a.newmem, 0, pg),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_unpublish(pub.ex), RSM_SUCCESS);
	H_CHECK(seg_drop(&pub) == 0);
	H_CHECK_RC(rsm_memseg_export_destroy(unpub.ex), RSM_SUCCESS);
	return 0;
}

static void
test_not_creator(void **state)
{
	(void)state;
	run(c_not_creator, NULL);
}

/* ==== import_connect ==== */

static int
c_connect(void *arg)
{
	rsmapi_controller_handle_t loop, shm;
	rsm_memseg_import_handle_t im;
	rsmapi_access_entry_t acl[2];
	struct seg s, elsewhere, l;
	static const rsm_permission_t badperm[] = {
		RSM_PERM_NONE, 0700, 0644, 0400 | 01, 0040, 0004, 0100,
		0x80000000u, UINT32_MAX
	};

	(void)arg;
	H_CHECK(ctlrs(&loop, &shm) == 0);
	H_CHECK(seg_make(shm, 1, 0, 1, &s) == 0);

#define CONNECT_FAILS(c, node, id, perm, want) do {			\
	im = (rsm_memseg_import_handle_t)(uintptr_t)1;			\
	H_CHECK_RC(rsm_memseg_import_connect((c), (node), (id), (perm),	\
	    &im), (want));						\
	H_CHECK(im == NULL);						\
} while (0)
	for (size_t i = 0; i < sizeof(badperm) / sizeof(badperm[0]); i++)
		CONNECT_FAILS(shm, H_NODE_ID, s.id, badperm[i],
		    RSMERR_PERM_DENIED);
	/* Another node: loopback cannot reach it, shm0 has no peers. */
	CONNECT_FAILS(loop, OTHER_NODE, s.id, RSM_PERM_READ,
	    RSMERR_CTLR_NOT_PRESENT);
	CONNECT_FAILS(shm, OTHER_NODE, s.id, RSM_PERM_READ,
	    RSMERR_REMOTE_NODE_UNREACHABLE);
	CONNECT_FAILS(shm, 64, s.id, RSM_PERM_READ,
	    RSMERR_REMOTE_NODE_UNREACHABLE);
	CONNECT_FAILS(shm, UINT32_MAX, s.id, RSM_PERM_READ,
	    RSMERR_REMOTE_NODE_UNREACHABLE);
	/* Ids nobody published. */
	CONNECT_FAILS(shm, H_NODE_ID, 0x4abcde, RSM_PERM_READ,
	    RSMERR_SEG_NOT_PUBLISHED);
	CONNECT_FAILS(loop, H_NODE_ID, 0, RSM_PERM_READ,
	    RSMERR_SEG_NOT_PUBLISHED);
	CONNECT_FAILS(loop, H_NODE_ID, 1, RSM_PERM_READ,
	    RSMERR_SEG_NOT_PUBLISHED);
	CONNECT_FAILS(loop, H_NODE_ID, UINT32_MAX, RSM_PERM_RDWR,
	    RSMERR_SEG_NOT_PUBLISHED);
	/* An ACL that does not name this node. */
	H_CHECK(seg_make(shm, 1, 0, 0, &elsewhere) == 0);
	acl[0].ae_node = OTHER_NODE;
	acl[0].ae_permission = 0666;
	acl[1].ae_node = 0;
	acl[1].ae_permission = 0666;
	H_CHECK_RC(rsm_memseg_export_publish(elsewhere.ex, &elsewhere.id, acl,
	    2), RSM_SUCCESS);
	CONNECT_FAILS(shm, H_NODE_ID, elsewhere.id, RSM_PERM_READ,
	    RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
	CONNECT_FAILS(loop, H_NODE_ID, elsewhere.id, RSM_PERM_RDWR,
	    RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
	/* republish naming this node lets new connects in. */
	acl[1].ae_node = H_NODE_ID;
	H_CHECK_RC(rsm_memseg_export_republish(elsewhere.ex, acl, 2),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(shm, H_NODE_ID, elsewhere.id,
	    RSM_PERM_READ, &im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	/* Unpublished, destroyed: not published any more. */
	H_CHECK_RC(rsm_memseg_export_unpublish(elsewhere.ex), RSM_SUCCESS);
	CONNECT_FAILS(shm, H_NODE_ID, elsewhere.id, RSM_PERM_READ,
	    RSMERR_SEG_NOT_PUBLISHED);
	H_CHECK(seg_make(loop, 1, 0, 1, &l) == 0);
	H_CHECK(seg_drop(&l) == 0);
	CONNECT_FAILS(loop, H_NODE_ID, l.id, RSM_PERM_READ,
	    RSMERR_SEG_NOT_PUBLISHED);
	/* Root bypasses the permission bits, even a 0 entry (spec 4.2). */
	acl[0].ae_node = H_NODE_ID;
	acl[0].ae_permission = 0;
	elsewhere.id = 0;	/* automatic ids cannot be asked for */
	H_CHECK_RC(rsm_memseg_export_publish(elsewhere.ex, &elsewhere.id, acl,
	    1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(shm, H_NODE_ID, elsewhere.id,
	    RSM_PERM_RDWR, &im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
#undef CONNECT_FAILS
	H_CHECK(seg_drop(&elsewhere) == 0);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_connect(void **state)
{
	(void)state;
	run(c_connect, NULL);
}

/*
 * User-level permission (spec 4.2) for a non-root importer: a root-owned
 * exporter publishes segments with various modes and waits; a child
 * running as uid 65534 tries them.
 */
enum { P_0600, P_0604, P_0602, P_UMASK077, P_ELSEWHERE, P_COUNT };

struct perm_ids {
	rsm_memseg_id_t id[P_COUNT];
};

static int
c_perm_exporter(void *arg)
{
	struct h_chan *ch = arg;
	rsmapi_controller_handle_t shm, loop;
	rsmapi_access_entry_t acl;
	struct perm_ids ids;
	struct seg s[P_COUNT];
	static const rsm_permission_t modes[] = { 0600, 0604, 0602 };
	uint32_t done;

	h_chan_side(ch, 1);
	H_CHECK(ctlrs(&loop, &shm) == 0);
	for (int i = P_0600; i <= P_0602; i++) {
		H_CHECK(seg_make(i == P_0604 ? loop : shm, 1, 0, 0, &s[i]) == 0);
		acl.ae_node = H_NODE_ID;
		acl.ae_permission = modes[i];
		H_CHECK_RC(rsm_memseg_export_publish(s[i].ex, &s[i].id, &acl, 1),
		    RSM_SUCCESS);
	}
	/* Empty ACL: the creator's default mode, 0777 & ~umask. */
	umask(077);
	H_CHECK(seg_make(shm, 1, 0, 1, &s[P_UMASK077]) == 0);
	H_CHECK(seg_make(shm, 1, 0, 0, &s[P_ELSEWHERE]) == 0);
	acl.ae_node = OTHER_NODE;
	acl.ae_permission = 0666;
	H_CHECK_RC(rsm_memseg_export_publish(s[P_ELSEWHERE].ex,
	    &s[P_ELSEWHERE].id, &acl, 1), RSM_SUCCESS);
	for (int i = 0; i < P_COUNT; i++)
		ids.id[i] = s[i].id;
	H_CHECK(h_send(ch->fd[1], &ids, sizeof(ids)) == 0);
	H_CHECK(h_recv_u32(ch->fd[1], &done, CHILD_MS) == 0);
	for (int i = 0; i < P_COUNT; i++)
		H_CHECK(seg_drop(&s[i]) == 0);
	return 0;
}

static int
c_perm_nobody(void *arg)
{
	const struct perm_ids *ids = arg;
	rsmapi_controller_handle_t shm;
	rsm_memseg_import_handle_t im;
	rsmapi_barrier_t bar;
	uint32_t v = 0;

	H_CHECK(getuid() == H_NOBODY_UID);
	H_CHECK_RC(rsm_get_controller("shm0", &shm), RSM_SUCCESS);
#define NOBODY_FAILS(which, perm, want) do {				\
	im = (rsm_memseg_import_handle_t)(uintptr_t)1;			\
	H_CHECK_RC(rsm_memseg_import_connect(shm, H_NODE_ID,		\
	    ids->id[which], (perm), &im), (want));			\
	H_CHECK(im == NULL);						\
} while (0)
	NOBODY_FAILS(P_0600, RSM_PERM_READ, RSMERR_PERM_DENIED);
	NOBODY_FAILS(P_0600, RSM_PERM_WRITE, RSMERR_PERM_DENIED);
	NOBODY_FAILS(P_0600, RSM_PERM_RDWR, RSMERR_PERM_DENIED);
	NOBODY_FAILS(P_0604, RSM_PERM_WRITE, RSMERR_PERM_DENIED);
	NOBODY_FAILS(P_0604, RSM_PERM_RDWR, RSMERR_PERM_DENIED);
	NOBODY_FAILS(P_0602, RSM_PERM_READ, RSMERR_PERM_DENIED);
	NOBODY_FAILS(P_0602, RSM_PERM_RDWR, RSMERR_PERM_DENIED);
	NOBODY_FAILS(P_UMASK077, RSM_PERM_READ, RSMERR_PERM_DENIED);
	NOBODY_FAILS(P_ELSEWHERE, RSM_PERM_READ,
	    RSMERR_SEG_NOT_PUBLISHED_TO_NODE);
#undef NOBODY_FAILS
	/* What the class grants works, and only that. */
	H_CHECK_RC(rsm_memseg_import_connect(shm, H_NODE_ID, ids->id[P_0604],
	    RSM_PERM_READ, &im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get32(im, 0, &v, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put32(im, 0, &v, 1), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(shm, H_NODE_ID, ids->id[P_0602],
	    RSM_PERM_WRITE, &im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put32(im, 0, &v, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get32(im, 0, &v, 1), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	return 0;
}

static void
test_connect_permissions(void **state)
{
	struct h_chan ch;
	struct perm_ids ids;
	pid_t exp;
	int rc;

	(void)state;
	assert_int_equal(h_chan_open(&ch), 0);
	exp = h_spawn(c_perm_exporter, &ch, (uid_t)-1, CHILD_MS / 1000 + 2);
	assert_true(exp > 0);
	h_chan_side(&ch, 0);
	rc = h_recv(ch.fd[0], &ids, sizeof(ids), CHILD_MS);
	if (rc == 0)
		rc = h_run_child(c_perm_nobody, &ids, H_NOBODY_UID, CHILD_MS);
	(void)h_send_u32(ch.fd[0], 1);
	assert_int_equal(h_wait(exp, CHILD_MS), 0);
	h_chan_close(&ch);
	assert_int_equal(rc, 0);
	check_daemon_clean(&h_daemon);
}

/* ==== disconnect, map, unmap ==== */

static int
c_map(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im, ro;
	rsmapi_barrier_t bar;
	struct pollfd pfd;
	struct seg s;
	char *fixed, buf[16];
	void *a;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 4, 0, 1, &s) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 1, &bar, &im) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_READ, 0, NULL, &ro) == 0);

	H_CHECK_RC(rsm_memseg_import_unmap(im), RSMERR_SEG_NOT_MAPPED);
#define MAP_FAILS(h, attr, perm, off, len, want) do {			\
	a = NULL;							\
	H_CHECK_RC(rsm_memseg_import_map((h), &a, (attr), (perm), (off),\
	    (len)), (want));						\
	H_CHECK(a == NULL);						\
} while (0)
	MAP_FAILS(im, (rsm_attribute_t)7, RSM_PERM_RDWR, 0, pg,
	    RSMERR_BAD_ADDR);
	MAP_FAILS(im, (rsm_attribute_t)-1, RSM_PERM_RDWR, 0, pg,
	    RSMERR_BAD_ADDR);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_NONE, 0, pg, RSMERR_BAD_PERMS);
	MAP_FAILS(im, RSM_MAP_NONE, 0700, 0, pg, RSMERR_BAD_PERMS);
	MAP_FAILS(im, RSM_MAP_NONE, 0644, 0, pg, RSMERR_BAD_PERMS);
	MAP_FAILS(im, RSM_MAP_NONE, UINT32_MAX, 0, pg, RSMERR_BAD_PERMS);
	/* More than the connection was granted. */
	MAP_FAILS(ro, RSM_MAP_NONE, RSM_PERM_RDWR, 0, pg, RSMERR_BAD_PERMS);
	MAP_FAILS(ro, RSM_MAP_NONE, RSM_PERM_WRITE, 0, pg, RSMERR_BAD_PERMS);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, -1, pg, RSMERR_BAD_OFFSET);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, -(off_t)pg, pg,
	    RSMERR_BAD_OFFSET);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, INT64_MIN, pg,
	    RSMERR_BAD_OFFSET);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, 1, pg,
	    RSMERR_BAD_MEM_ALIGNMENT);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, (off_t)pg + 8, pg,
	    RSMERR_BAD_MEM_ALIGNMENT);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, 0, 0, RSMERR_BAD_LENGTH);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, 0, s.size + 1,
	    RSMERR_BAD_LENGTH);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, (off_t)pg, s.size,
	    RSMERR_BAD_LENGTH);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, (off_t)s.size, 1,
	    RSMERR_BAD_LENGTH);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, (off_t)s.size + (off_t)pg,
	    pg, RSMERR_BAD_LENGTH);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, 0, SIZE_MAX,
	    RSMERR_BAD_LENGTH);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, (off_t)pg,
	    SIZE_MAX - pg + 2, RSMERR_BAD_LENGTH);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR,
	    (off_t)(INT64_MAX & ~(int64_t)(pg - 1)), pg, RSMERR_BAD_LENGTH);
	/* RSM_MAP_FIXED needs a page-aligned address (NULL is refused too). */
	MAP_FAILS(im, RSM_MAP_FIXED, RSM_PERM_RDWR, 0, pg,
	    RSMERR_BAD_MEM_ALIGNMENT);
	/* A reservation of ours for the fixed mapping to replace. */
	fixed = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
	    0);
	H_CHECK(fixed != MAP_FAILED);
	a = fixed + 1;
	H_CHECK_RC(rsm_memseg_import_map(im, &a, RSM_MAP_FIXED, RSM_PERM_RDWR,
	    0, pg), RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK(a == fixed + 1);

	/* A good fixed map; then everything that needs it unmapped. */
	a = fixed;
	H_CHECK_RC(rsm_memseg_import_map(im, &a, RSM_MAP_FIXED, RSM_PERM_RDWR,
	    (off_t)pg, 2 * pg), RSM_SUCCESS);
	H_CHECK(a == fixed);
	H_CHECK(memcmp(fixed, (char *)s.mem + pg, 2 * pg) == 0);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, 0, pg,
	    RSMERR_SEG_ALREADY_MAPPED);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSMERR_SEG_STILL_MAPPED);
	/* put/get are limited to the mapped window (spec 3.4). */
	H_CHECK_RC(rsm_memseg_import_put(im, 0, buf, 1), RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_put(im, (off_t)pg - 1, buf, 2),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_put(im, 3 * (off_t)pg - 1, buf, 2),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_get(im, 3 * (off_t)pg, buf, 1),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_get(im, (off_t)pg, buf, SIZE_MAX),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_get(im, INT64_MAX, buf, 1),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_get(im, -1, buf, 1), RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_put(im, 3 * (off_t)pg - 16, buf, 16),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_unmap(im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_unmap(im), RSMERR_SEG_NOT_MAPPED);

	/* A read-only window refuses puts even on a read/write connection. */
	a = NULL;
	H_CHECK_RC(rsm_memseg_import_map(im, &a, RSM_MAP_NONE, RSM_PERM_READ,
	    0, s.size), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(im, 0, buf, 1), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_get(im, 0, buf, 1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_unmap(im), RSM_SUCCESS);

	/* An implicit mapping (made by a put) also counts as mapped. */
	H_CHECK_RC(rsm_memseg_import_put(im, 0, buf, 4), RSM_SUCCESS);
	MAP_FAILS(im, RSM_MAP_NONE, RSM_PERM_RDWR, 0, pg,
	    RSMERR_SEG_ALREADY_MAPPED);
	H_CHECK_RC(rsm_memseg_import_unmap(im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_unmap(im), RSMERR_SEG_NOT_MAPPED);
	H_CHECK_RC(rsm_memseg_import_get(im, 0, buf, 4), RSM_SUCCESS);

	/* disconnect with a poll descriptor held. */
	H_CHECK_RC(rsm_memseg_get_pollfd(im, &pfd), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSMERR_POLLFD_IN_USE);
	H_CHECK_RC(rsm_memseg_release_pollfd(im), RSM_SUCCESS);
	/* An implicit mapping does not stop disconnect. */
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSMERR_BAD_SEG_HNDL);

	/* A revoked connection cannot be mapped. */
	H_CHECK_RC(rsm_memseg_export_unpublish(s.ex), RSM_SUCCESS);
	MAP_FAILS(ro, RSM_MAP_NONE, RSM_PERM_READ, 0, pg, RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_unmap(ro), RSMERR_SEG_NOT_MAPPED);
	/* A revoked connection still disconnects (spec 3.3). */
	H_CHECK_RC(rsm_memseg_import_disconnect(ro), RSM_SUCCESS);
#undef MAP_FAILS
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_map_disconnect(void **state)
{
	(void)state;
	run(c_map, NULL);
}

/* ==== put/get: ranges, alignment, permissions, barriers ==== */

static int
c_putget(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im, ro, wo;
	rsmapi_barrier_t bar, bro, bwo;
	struct seg s;
	uint64_t *b64;
	char *buf;
	size_t S;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 2, 0, 1, &s) == 0);
	S = s.size;
	H_CHECK((buf = h_pages(S + pg)) != NULL);
	b64 = (uint64_t *)(void *)buf;
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 0, NULL, &im) == 0);

	/* Implicit mode (the default) without a barrier moves nothing. */
	H_CHECK_RC(rsm_memseg_import_put(im, 0, buf, 1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_get64(im, 0, b64, 1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, RSM_BAR_DEFAULT, &bar),
	    RSM_SUCCESS);

	/* Whole segment and its edges. */
	H_CHECK_RC(rsm_memseg_import_get(im, 0, buf, S), RSM_SUCCESS);
	H_CHECK(memcmp(buf, s.mem, S) == 0);
	H_CHECK_RC(rsm_memseg_import_get(im, (off_t)S, buf, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(im, 0, buf, S + 1), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put(im, 0, buf, S + 1), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get(im, (off_t)S, buf, 1),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put(im, (off_t)S - 1, buf, 2),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get(im, (off_t)S + 1, buf, 0),
	    RSMERR_BAD_LENGTH);
	/* Overflowing offset + length. */
	H_CHECK_RC(rsm_memseg_import_get(im, 1, buf, SIZE_MAX),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put(im, (off_t)S / 2, buf,
	    SIZE_MAX - S / 2 + 1), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get(im, INT64_MAX, buf, 1),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put(im, INT64_MAX, buf, SIZE_MAX),
	    RSMERR_BAD_LENGTH);
	/* Negative offsets, including UINT64_MAX seen as off_t. */
	H_CHECK_RC(rsm_memseg_import_get(im, -1, buf, 1), RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_put(im, (off_t)UINT64_MAX, buf, 1),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_put(im, INT64_MIN, buf, 1),
	    RSMERR_BAD_OFFSET);
	H_CHECK_RC(rsm_memseg_import_get8(im, -(off_t)S, (uint8_t *)buf, 1),
	    RSMERR_BAD_OFFSET);
	/* N-bit: counts whose byte length overflows or passes the end. */
	H_CHECK_RC(rsm_memseg_import_get64(im, 0, b64, ULONG_MAX),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put64(im, 0, b64, SIZE_MAX / 8 + 1),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put32(im, 0, (uint32_t *)buf,
	    SIZE_MAX / 4 + 1), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get16(im, 0, (uint16_t *)buf,
	    SIZE_MAX / 2 + 1), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put8(im, 0, (uint8_t *)buf, ULONG_MAX),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get64(im, 0, b64, S / 8 + 1),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put32(im, (off_t)S - 4, (uint32_t *)buf,
	    2), RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_put16(im, (off_t)S, (uint16_t *)buf, 1),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_import_get64(im, (off_t)S - 8, b64, 1),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put8(im, 0, (uint8_t *)buf, 0),
	    RSM_SUCCESS);

	/* Misaligned offsets and local pointers. */
	for (off_t o = 1; o < 8; o++) {
		H_CHECK_RC(rsm_memseg_import_put64(im, o, b64, 1),
		    RSMERR_BAD_MEM_ALIGNMENT);
		H_CHECK_RC(rsm_memseg_import_get64(im, o, b64, 1),
		    RSMERR_BAD_MEM_ALIGNMENT);
		H_CHECK_RC(rsm_memseg_import_put64(im, 0,
		    (uint64_t *)(void *)(buf + o), 1), RSMERR_BAD_MEM_ALIGNMENT);
		if (o % 4 != 0) {
			H_CHECK_RC(rsm_memseg_import_put32(im, o,
			    (uint32_t *)buf, 1), RSMERR_BAD_MEM_ALIGNMENT);
			H_CHECK_RC(rsm_memseg_import_get32(im, o,
			    (uint32_t *)buf, 1), RSMERR_BAD_MEM_ALIGNMENT);
			H_CHECK_RC(rsm_memseg_import_get32(im, 0,
			    (uint32_t *)(void *)(buf + o), 1),
			    RSMERR_BAD_MEM_ALIGNMENT);
		}
		if (o % 2 != 0) {
			H_CHECK_RC(rsm_memseg_import_put16(im, o,
			    (uint16_t *)buf, 1), RSMERR_BAD_MEM_ALIGNMENT);
			H_CHECK_RC(rsm_memseg_import_get16(im, o,
			    (uint16_t *)buf, 1), RSMERR_BAD_MEM_ALIGNMENT);
			H_CHECK_RC(rsm_memseg_import_put16(im, 0,
			    (uint16_t *)(void *)(buf + o), 1),
			    RSMERR_BAD_MEM_ALIGNMENT);
		}
		/* 8-bit and byte copies have no alignment. */
		H_CHECK_RC(rsm_memseg_import_put8(im, o, (uint8_t *)buf + o, 1),
		    RSM_SUCCESS);
		H_CHECK_RC(rsm_memseg_import_get(im, o, buf + o, 3),
		    RSM_SUCCESS);
	}
	/* Alignment is checked before the range, even far out. */
	H_CHECK_RC(rsm_memseg_import_put64(im, INT64_MAX, b64, 1),
	    RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK_RC(rsm_memseg_import_get32(im, -2, (uint32_t *)buf, 1),
	    RSMERR_BAD_MEM_ALIGNMENT);
	H_CHECK_RC(rsm_memseg_import_get32(im, -4, (uint32_t *)buf, 1),
	    RSMERR_BAD_OFFSET);

	/* Permissions of the connection. */
	H_CHECK(imp_make(c, s.id, RSM_PERM_READ, 1, &bro, &ro) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_WRITE, 1, &bwo, &wo) == 0);
	H_CHECK_RC(rsm_memseg_import_put(ro, 0, buf, 1), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_put8(ro, 0, (uint8_t *)buf, 1),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_put16(ro, 0, (uint16_t *)buf, 1),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_put32(ro, 0, (uint32_t *)buf, 1),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_put64(ro, 0, b64, 1), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_get(ro, 0, buf, 8), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(wo, 0, buf, 1), RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_get8(wo, 0, (uint8_t *)buf, 1),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_get16(wo, 0, (uint16_t *)buf, 1),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_get32(wo, 0, (uint32_t *)buf, 1),
	    RSMERR_PERM_DENIED);
	H_CHECK_RC(rsm_memseg_import_get64(wo, 0, b64, 1), RSMERR_PERM_DENIED);
	memset(buf, 0x5a, 8);
	H_CHECK_RC(rsm_memseg_import_put(wo, 0, buf, 8), RSM_SUCCESS);
	H_CHECK(memcmp(s.mem, buf, 8) == 0);

	/* Modes: bad values refused; explicit mode needs no barrier. */
	H_CHECK_RC(rsm_memseg_import_set_mode(im, (rsm_barrier_mode_t)2),
	    RSMERR_BAD_MODE);
	H_CHECK_RC(rsm_memseg_import_set_mode(im, (rsm_barrier_mode_t)-1),
	    RSMERR_BAD_MODE);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&bar), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(im, 0, buf, 1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_set_mode(im, RSM_BARRIER_MODE_EXPLICIT),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_put(im, 0, buf, 1), RSM_SUCCESS);

	/* Revoked: every implicit-mode access reports the lost connection. */
	H_CHECK_RC(rsm_memseg_export_unpublish(s.ex), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_get(ro, 0, buf, 1), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_put32(wo, 0, (uint32_t *)buf, 1),
	    RSMERR_CONN_ABORTED);
	/* Argument errors still come first. */
	H_CHECK_RC(rsm_memseg_import_get(ro, 0, NULL, 1), RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ro), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(wo), RSM_SUCCESS);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_put_get(void **state)
{
	(void)state;
	run(c_putget, NULL);
}

/* ==== putv/getv and local memory handles ==== */

static int
c_sg(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im, ro;
	rsm_localmemory_handle_t lm, lm2;
	rsmapi_barrier_t bar, bro;
	rsm_iovec_t iov[RSM_MAX_SGIOREQS + 1];
	rsm_scat_gath_t sg;
	struct seg s;
	char *buf;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 2, 0, 1, &s) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 1, &bar, &im) == 0);
	H_CHECK((buf = h_pages(4 * pg)) != NULL);

	/* Local memory handles. */
	H_CHECK_RC(rsm_create_localmemory_handle(c, &lm, NULL, pg),
	    RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_create_localmemory_handle(c, &lm, buf + 1, pg),
	    RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_create_localmemory_handle(c, &lm, buf, 0),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_create_localmemory_handle(c, &lm, buf, SIZE_MAX),
	    RSMERR_BAD_LENGTH);
	/* Alignment comes before the controller (illumos order, spec 3.5). */
	H_CHECK_RC(rsm_create_localmemory_handle(NULL, &lm, buf + 1, pg),
	    RSMERR_BAD_ADDR);
	H_CHECK_RC(rsm_create_localmemory_handle(c, &lm, buf, 2 * pg),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_free_localmemory_handle(NULL, lm), RSMERR_BAD_CTLR_HNDL);
	H_CHECK_RC(rsm_free_localmemory_handle(c, NULL),
	    RSMERR_BAD_LOCALMEM_HNDL);

#define SG_SETUP(n) do {						\
	memset(&sg, 0, sizeof(sg));					\
	memset(iov, 0, sizeof(iov));					\
	sg.io_request_count = (n);					\
	sg.remote_handle = im;						\
	sg.iovec = iov;							\
	for (int i_ = 0; i_ < RSM_MAX_SGIOREQS + 1; i_++) {		\
		iov[i_].io_type = RSM_VA_TYPE;				\
		iov[i_].local.vaddr = buf;				\
		iov[i_].remote_offset = (size_t)i_ * 16;		\
		iov[i_].transfer_length = 16;				\
	}								\
} while (0)
	H_CHECK_RC(rsm_memseg_import_putv(NULL), RSMERR_BAD_SGIO);
	H_CHECK_RC(rsm_memseg_import_getv(NULL), RSMERR_BAD_SGIO);
	SG_SETUP(0);
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SGIO);
	SG_SETUP(RSM_MAX_SGIOREQS + 1);
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_SGIO);
	SG_SETUP(ULONG_MAX);
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SGIO);
	SG_SETUP(1);
	sg.iovec = NULL;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SGIO);
	SG_SETUP(1);
	sg.remote_handle = NULL;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_SEG_HNDL);
	SG_SETUP(1);
	iov[0].io_type = 0;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SGIO);
	iov[0].io_type = RSM_HANDLE_TYPE | RSM_VA_TYPE;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_SGIO);
	iov[0].io_type = -1;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_SGIO);
	SG_SETUP(1);
	iov[0].local.vaddr = NULL;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_ADDR);
	SG_SETUP(1);
	/* A local range that wraps around the address space. */
	iov[0].local_offset = SIZE_MAX - 4;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_ADDR);
	SG_SETUP(1);
	iov[0].remote_offset = s.size - 8;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_LENGTH);
	iov[0].remote_offset = 0;
	iov[0].transfer_length = SIZE_MAX;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_ADDR);
	iov[0].transfer_length = s.size + 1;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_LENGTH);
	iov[0].transfer_length = 16;
	iov[0].remote_offset = SIZE_MAX - 4;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_OFFSET);
	iov[0].remote_offset = (size_t)INT64_MAX;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_LENGTH);

	/* Local handles in entries: bounded by the handle's length. */
	SG_SETUP(1);
	iov[0].io_type = RSM_HANDLE_TYPE;
	iov[0].local.handle = lm;
	iov[0].local_offset = 2 * pg - 8;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_LENGTH);
	iov[0].local_offset = 2 * pg + 1;
	iov[0].transfer_length = 0;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_LENGTH);
	iov[0].local_offset = SIZE_MAX;
	iov[0].transfer_length = 2;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_LENGTH);
	iov[0].local_offset = 8;
	iov[0].transfer_length = SIZE_MAX - 4;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_LENGTH);
	iov[0].local_offset = pg;
	iov[0].transfer_length = pg;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSM_SUCCESS);
	H_CHECK(sg.io_residual_count == 0);

	/* The list stops at the first bad entry; residual says how much. */
	SG_SETUP(4);
	sg.flags = RSM_IMPLICIT_SIGPOST | RSM_SIGPOST_NO_ACCUMULATE;
	iov[2].remote_offset = s.size;
	memset(buf, 0x77, 64);
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_BAD_LENGTH);
	H_CHECK(sg.io_residual_count == 2);
	H_CHECK(sg.flags == (RSM_IMPLICIT_SIGPOST | RSM_SIGPOST_NO_ACCUMULATE));
	H_CHECK(memcmp(s.mem, buf, 16) == 0 &&
	    memcmp((char *)s.mem + 16, buf, 16) == 0);
	H_CHECK(((unsigned char *)s.mem)[48] != 0x77);
	/* No implicit post after a failed list: nothing pending. */
	H_CHECK_RC(rsm_intr_signal_wait(s.ex, 0), RSMERR_TIMEOUT);

	/* Permissions and barriers apply per entry, as for put/get. */
	H_CHECK(imp_make(c, s.id, RSM_PERM_READ, 1, &bro, &ro) == 0);
	SG_SETUP(2);
	sg.remote_handle = ro;
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_PERM_DENIED);
	H_CHECK(sg.io_residual_count == 2);
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSM_SUCCESS);
	H_CHECK(sg.io_residual_count == 0);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&bro), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK(sg.io_residual_count == 2);

	/* Freed local handles: in a list, and to free again. */
	H_CHECK_RC(rsm_create_localmemory_handle(c, &lm2, buf, pg),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_free_localmemory_handle(c, lm2), RSM_SUCCESS);
	H_CHECK_RC(rsm_free_localmemory_handle(c, lm2),
	    RSMERR_BAD_LOCALMEM_HNDL);
	SG_SETUP(1);
	iov[0].io_type = RSM_HANDLE_TYPE;
	iov[0].local.handle = lm2;
	H_CHECK_RC(rsm_memseg_import_getv(&sg), RSMERR_BAD_SGIO);

	/* Revoked: CONN_ABORTED with the whole list outstanding. */
	H_CHECK_RC(rsm_memseg_export_unpublish(s.ex), RSM_SUCCESS);
	SG_SETUP(3);
	H_CHECK_RC(rsm_memseg_import_putv(&sg), RSMERR_CONN_ABORTED);
	H_CHECK(sg.io_residual_count == 3);
#undef SG_SETUP
	H_CHECK_RC(rsm_free_localmemory_handle(c, lm), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(ro), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_scatter_gather(void **state)
{
	(void)state;
	run(c_sg, NULL);
}

/* ==== barriers ==== */

static int
c_barriers(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im, im2;
	rsmapi_barrier_t b1, b2, zero, stale;
	rsm_barrier_mode_t mode;
	struct seg s;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 1, &s) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 0, NULL, &im) == 0);

	H_CHECK_RC(rsm_memseg_import_get_mode(im, &mode), RSM_SUCCESS);
	H_CHECK(mode == RSM_BARRIER_MODE_IMPLICIT);
	/* Types other than the four defined ones. */
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, (rsm_barrier_type_t)0,
	    &b1), RSMERR_BAD_BARRIER_PTR);
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, (rsm_barrier_type_t)0x77,
	    &b1), RSMERR_BAD_BARRIER_PTR);
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, (rsm_barrier_type_t)-1,
	    &b1), RSMERR_BAD_BARRIER_PTR);
	/* NULL barriers. */
	H_CHECK_RC(rsm_memseg_import_open_barrier(NULL), RSMERR_BAD_BARRIER_PTR);
	H_CHECK_RC(rsm_memseg_import_close_barrier(NULL),
	    RSMERR_BAD_BARRIER_PTR);
	H_CHECK_RC(rsm_memseg_import_order_barrier(NULL),
	    RSMERR_BAD_BARRIER_PTR);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(NULL),
	    RSMERR_BAD_BARRIER_PTR);
	/* Never initialised (zeroed storage): uninitialised, as in illumos. */
	memset(&zero, 0, sizeof(zero));
	H_CHECK_RC(rsm_memseg_import_open_barrier(&zero),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&zero),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_order_barrier(&zero),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&zero),
	    RSMERR_BARRIER_UNINITIALIZED);
	/* Naming a live import but never initialised on it. */
	zero.seg = im;
	zero.privdata = (void *)(uintptr_t)0x1235;
	H_CHECK_RC(rsm_memseg_import_open_barrier(&zero),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&zero),
	    RSMERR_BARRIER_UNINITIALIZED);

	/*
	 * Close without open: rsm, like illumos, does not track the open
	 * state (RSMERR_BARRIER_NOT_OPENED is never returned, see the
	 * man page), so a close on a live connection succeeds.
	 */
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, RSM_BAR_DEFAULT, &b1),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_order_barrier(&b1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b1), RSM_SUCCESS);
	/* A later init replaces the handle's barrier: the old one is dead. */
	stale = b1;
	H_CHECK_RC(rsm_memseg_import_init_barrier(im, RSM_BARRIER_NODE, &b2),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_order_barrier(&b1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&b1),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b2), RSM_SUCCESS);
	/* Destroyed: dead, and implicit put/get have no barrier. */
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&b2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b2),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&b2),
	    RSMERR_BARRIER_UNINITIALIZED);
	H_CHECK_RC(rsm_memseg_import_put8(im, 0, (uint8_t *)&mode, 1),
	    RSMERR_BARRIER_UNINITIALIZED);
	/* A copy of a destroyed barrier is as dead. */
	H_CHECK_RC(rsm_memseg_import_open_barrier(&stale),
	    RSMERR_BARRIER_UNINITIALIZED);
	/* A barrier of one import does not work for another. */
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 1, &b1, &im2) == 0);
	b2 = b1;
	b2.seg = im;
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b2),
	    RSMERR_BARRIER_UNINITIALIZED);

	/* Revocation: open still succeeds, close reports it. */
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_unpublish(s.ex), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_order_barrier(&b1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b1), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b1), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b1), RSMERR_CONN_ABORTED);
	/* Disconnected: the barrier's handle is gone. */
	H_CHECK_RC(rsm_memseg_import_disconnect(im2), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_open_barrier(&b1), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_close_barrier(&b1), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_order_barrier(&b1), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_destroy_barrier(&b1), RSMERR_BAD_SEG_HNDL);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_barriers(void **state)
{
	(void)state;
	run(c_barriers, NULL);
}

/* ==== events and poll descriptors ==== */

static int
c_signals(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im;
	struct pollfd pfd[3];
	struct seg s;
	int n = -1;
	uint64_t t0;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 1, &s) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 0, NULL, &im) == 0);

	/* Nothing pending: a zero or short timeout ends in TIMEOUT. */
	H_CHECK_RC(rsm_intr_signal_wait(im, 0), RSMERR_TIMEOUT);
	H_CHECK_RC(rsm_intr_signal_wait(s.ex, 0), RSMERR_TIMEOUT);
	t0 = h_now_ms();
	H_CHECK_RC(rsm_intr_signal_wait(s.ex, 30), RSMERR_TIMEOUT);
	H_CHECK(h_now_ms() - t0 >= 25);
	H_CHECK_RC(rsm_memseg_get_pollfd(im, &pfd[0]), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_get_pollfd(s.ex, &pfd[1]), RSM_SUCCESS);
	pfd[2].fd = -1;
	pfd[2].events = POLLIN;
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(pfd, 3, 0, &n), RSMERR_TIMEOUT);
	H_CHECK(n == 0);
	H_CHECK_RC(rsm_intr_signal_wait_pollfd(pfd, 3, 10, NULL),
	    RSMERR_TIMEOUT);
	/* Unknown flag bits are not an error for post (illumos ignores them). */
	H_CHECK_RC(rsm_intr_signal_post(im, 0xffff0000u), RSM_SUCCESS);
	H_CHECK_RC(rsm_intr_signal_wait(s.ex, 5000), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_release_pollfd(im), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_release_pollfd(s.ex), RSM_SUCCESS);

	/* Revoked import: post and wait report the lost connection. */
	H_CHECK_RC(rsm_memseg_export_unpublish(s.ex), RSM_SUCCESS);
	H_CHECK_RC(rsm_intr_signal_post(im, 0), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_intr_signal_wait(im, 0), RSMERR_CONN_ABORTED);
	H_CHECK_RC(rsm_intr_signal_wait(im, -1), RSMERR_CONN_ABORTED);
	/* An unpublished export may still post: nobody hears it. */
	H_CHECK_RC(rsm_intr_signal_post(s.ex, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(im), RSM_SUCCESS);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_signals(void **state)
{
	(void)state;
	run(c_signals, NULL);
}

/* ==== topology and segment-id file ==== */

static int
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static int
c_segid_file(void *arg)
{
	const char *dir = arg;
	char path[256];
	rsm_memseg_id_t base = 77;
	uint32_t len = 77;
	rsm_topology_t *t;
	static const char *bad[] = {
		"reserved app\n",			/* too few fields */
		"reserve app 400000 10\n",		/* wrong keyword */
		"reserved app 40000g 10\n",		/* not hex */
		"reserved app 400000 1x\n",		/* not decimal */
		"reserved app 400000 -1\n",		/* negative */
		"reserved app 100000000 10\n",		/* above 32 bits */
		"\nreserved app 400000 10\n",		/* blank line first */
	};

	H_CHECK_RC(rsm_get_interconnect_topology(&t), RSM_SUCCESS);
	H_CHECK(t->topology_hdr.local_nodeid == H_NODE_ID);
	rsm_free_interconnect_topology(t);
	rsm_free_interconnect_topology(NULL);

	snprintf(path, sizeof(path), "%s/no-such-segmentid-file", dir);
	setenv("RSM_SEGMENTID_FILE", path, 1);
	H_CHECK_RC(rsm_get_segmentid_range("app", &base, &len), RSMERR_BAD_CONF);
	snprintf(path, sizeof(path), "%s/segmentid.%d", dir, (int)getpid());
	setenv("RSM_SEGMENTID_FILE", path, 1);
	H_CHECK(write_file(path, "# comment\n"
	    "reserved other 500000 16\n"
	    "  # indented comment\n"
	    "RESERVED App 600000 32\n") == 0);
	H_CHECK_RC(rsm_get_segmentid_range("nosuch", &base, &len),
	    RSMERR_BAD_APPID);
	H_CHECK_RC(rsm_get_segmentid_range("", &base, &len), RSMERR_BAD_APPID);
	H_CHECK(base == 77 && len == 77);
	H_CHECK_RC(rsm_get_segmentid_range("app", &base, &len), RSM_SUCCESS);
	H_CHECK(base == 0x600000 && len == 32);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		H_CHECK(write_file(path, bad[i]) == 0);
		H_CHECK_RC(rsm_get_segmentid_range("app", &base, &len),
		    RSMERR_BAD_CONF);
	}
	/* A directory is unreadable as a file. */
	setenv("RSM_SEGMENTID_FILE", dir, 1);
	H_CHECK_RC(rsm_get_segmentid_range("app", &base, &len), RSMERR_BAD_CONF);
	unlink(path);
	return 0;
}

static void
test_topology_segid_file(void **state)
{
	(void)state;
	run(c_segid_file, h_daemon.dir);
}

/* ==== limits and quotas (doc/internals.md) ==== */

static int
c_quota_segments(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_export_handle_t e;
	struct seg a, b;
	char *p;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 0, &a) == 0);
	H_CHECK(seg_make(c, 1, 0, 1, &b) == 0);
	H_CHECK((p = pattern_pages(1, 5)) != NULL);
	e = (rsm_memseg_export_handle_t)(uintptr_t)1;
	H_CHECK_RC(rsm_memseg_export_create(c, &e, p, pg, 0),
	    RSMERR_INSUFFICIENT_RESOURCES);
	H_CHECK(e == NULL);
	/* The refused memory is given back unchanged and private. */
	H_CHECK(pattern_intact(p, 1, 5) && is_private_rw(p));
	H_CHECK(seg_drop(&a) == 0);
	H_CHECK_RC(rsm_memseg_export_create(c, &e, p, pg, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(e), RSM_SUCCESS);
	H_CHECK(seg_drop(&b) == 0);
	return 0;
}

/* The quota is per uid: another user is not held by root's segments. */
static int
c_quota_other_user(void *arg)
{
	rsmapi_controller_handle_t c;
	struct seg s;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 0, &s) == 0);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static int
c_quota_segments_held(void *arg)
{
	rsmapi_controller_handle_t c;
	struct seg a, b;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 0, &a) == 0);
	H_CHECK(seg_make(c, 1, 0, 0, &b) == 0);
	H_CHECK(h_run_child(c_quota_other_user, NULL, H_NOBODY_UID, 10000) == 0);
	H_CHECK(seg_drop(&a) == 0);
	H_CHECK(seg_drop(&b) == 0);
	return 0;
}

static void
test_quota_segments(void **state)
{
	char what[64], quota[96];
	struct logline want[2] = { { what, quota }, { NULL, NULL } };

	(void)state;
	/* Refusals are logged: who, what and why. */
	snprintf(what, sizeof(what), "uid %u: EXPORT_CREATE of %zu bytes ",
	    (unsigned)getuid(), pg);
	snprintf(quota, sizeof(quota), "refused: RSMERR_INSUFFICIENT_RESOURCES:"
	    " uid %u holds quota_segments (2) segments", (unsigned)getuid());
	run_with_daemon_logged("quota_segments = 2", c_quota_segments, NULL,
	    want);
	run_with_daemon("quota_segments = 2", c_quota_segments_held, NULL);
	/* The node-wide limit counts every user. */
	snprintf(quota, sizeof(quota), "refused: RSMERR_INSUFFICIENT_RESOURCES:"
	    " the node holds max_segments (2) segments");
	run_with_daemon_logged("max_segments = 2", c_quota_segments, NULL,
	    want);
}

static int
c_quota_bytes(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_export_handle_t e;
	struct seg a, b;
	char *p;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 2, 0, 0, &a) == 0);
	H_CHECK((p = pattern_pages(2, 6)) != NULL);
	H_CHECK_RC(rsm_memseg_export_create(c, &e, p, 2 * pg, 0),
	    RSMERR_INSUFFICIENT_MEM);
	H_CHECK(pattern_intact(p, 2, 6) && is_private_rw(p));
	/* What still fits is accepted. */
	H_CHECK(seg_make(c, 1, 0, 0, &b) == 0);
	H_CHECK_RC(rsm_memseg_export_create(c, &e, p, pg, 0),
	    RSMERR_INSUFFICIENT_MEM);
	H_CHECK(seg_drop(&a) == 0);
	H_CHECK_RC(rsm_memseg_export_create(c, &e, p, 2 * pg, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(e), RSM_SUCCESS);
	H_CHECK(seg_drop(&b) == 0);
	return 0;
}

static void
test_quota_bytes(void **state)
{
	char conf[64];

	(void)state;
	char why[128];
	struct logline want[2] = { { "EXPORT_CREATE of ", why },
	    { NULL, NULL } };

	snprintf(conf, sizeof(conf), "quota_bytes = %zuK", 3 * pg / 1024);
	snprintf(why, sizeof(why), "refused: RSMERR_INSUFFICIENT_MEM: uid %u "
	    "holds %zu bytes; %zu more is above quota_bytes %zu",
	    (unsigned)getuid(), 2 * pg, 2 * pg, 3 * pg);
	run_with_daemon_logged(conf, c_quota_bytes, NULL, want);
}

static int
c_quota_imports(void *arg)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_import_handle_t im[3];
	struct seg s;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 1, &s) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_READ, 0, NULL, &im[0]) == 0);
	H_CHECK(imp_make(c, s.id, RSM_PERM_RDWR, 0, NULL, &im[1]) == 0);
	im[2] = (rsm_memseg_import_handle_t)(uintptr_t)1;
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, s.id, RSM_PERM_READ,
	    &im[2]), RSMERR_INSUFFICIENT_RESOURCES);
	H_CHECK(im[2] == NULL);
	H_CHECK_RC(rsm_memseg_import_disconnect(im[0]), RSM_SUCCESS);
	H_CHECK(imp_make(c, s.id, RSM_PERM_READ, 0, NULL, &im[2]) == 0);
	/* A revoked import still counts until it is disconnected. */
	H_CHECK_RC(rsm_memseg_export_unpublish(s.ex), RSM_SUCCESS);
	s.id = 0;	/* automatic ids cannot be asked for */
	H_CHECK_RC(rsm_memseg_export_publish(s.ex, &s.id, NULL, 0),
	    RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_connect(c, H_NODE_ID, s.id, RSM_PERM_READ,
	    &im[0]), RSMERR_INSUFFICIENT_RESOURCES);
	H_CHECK_RC(rsm_memseg_import_disconnect(im[1]), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_import_disconnect(im[2]), RSM_SUCCESS);
	H_CHECK(imp_make(c, s.id, RSM_PERM_READ, 0, NULL, &im[0]) == 0);
	H_CHECK_RC(rsm_memseg_import_disconnect(im[0]), RSM_SUCCESS);
	H_CHECK(seg_drop(&s) == 0);
	return 0;
}

static void
test_quota_imports(void **state)
{
	(void)state;
	run_with_daemon("quota_imports = 2", c_quota_imports, NULL);
}

static int
c_max_segment_size(void *arg)
{
	rsmapi_controller_handle_t loop, shm;
	rsmapi_controller_attr_t attr;
	rsm_memseg_export_handle_t e;
	char *p;

	(void)arg;
	H_CHECK(ctlrs(&loop, &shm) == 0);
	H_CHECK_RC(rsm_get_controller_attr(shm, &attr), RSM_SUCCESS);
	H_CHECK(attr.attr_max_export_segment_size == pg);
	H_CHECK((p = pattern_pages(2, 4)) != NULL);
	/* shm0 refuses in the library, loopback in the daemon. */
	H_CHECK_RC(rsm_memseg_export_create(shm, &e, p, 2 * pg, 0),
	    RSMERR_BAD_LENGTH);
	H_CHECK_RC(rsm_memseg_export_create(loop, &e, p, 2 * pg, 0),
	    RSMERR_BAD_LENGTH);
	H_CHECK(pattern_intact(p, 2, 4) && is_private_rw(p) &&
	    is_private_rw(p + pg));
	H_CHECK_RC(rsm_memseg_export_create(loop, &e, p, pg, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_destroy(e), RSM_SUCCESS);
	return 0;
}

static void
test_max_segment_size(void **state)
{
	char conf[64];

	(void)state;
	char why[128];
	struct logline want[2] = { { "EXPORT_CREATE of ", why },
	    { NULL, NULL } };

	snprintf(conf, sizeof(conf), "max_segment_size = %zuK", pg / 1024);
	snprintf(why, sizeof(why), "refused: RSMERR_BAD_LENGTH: size %zu is "
	    "above max_segment_size %zu", 2 * pg, pg);
	run_with_daemon_logged(conf, c_max_segment_size, NULL, want);
}

/*
 * Publish refusals the daemon alone can decide: an id in use, an id
 * outside the node's segid_min..segid_max.
 */
static int
c_publish_refusals(void *arg)
{
	rsmapi_controller_handle_t c;
	struct seg a, b;
	rsm_memseg_id_t id;

	(void)arg;
	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 0, &a) == 0);
	H_CHECK(seg_make(c, 1, 0, 0, &b) == 0);
	id = 0x500123;
	H_CHECK_RC(rsm_memseg_export_publish(a.ex, &id, NULL, 0), RSM_SUCCESS);
	H_CHECK_RC(rsm_memseg_export_publish(b.ex, &id, NULL, 0),
	    RSMERR_SEGID_IN_USE);
	id = 0x400200;
	H_CHECK_RC(rsm_memseg_export_publish(b.ex, &id, NULL, 0),
	    RSMERR_RESERVED_SEGID);
	H_CHECK(seg_drop(&a) == 0);
	H_CHECK(seg_drop(&b) == 0);
	return 0;
}

/*
 * A client repeating a refused request in a loop: the refusal lines are
 * bounded (10 a second) and the ones held back are counted in the log.
 * arg: the daemon's log, polled until that count shows.
 */
#define FLOOD_N	200
static int
c_refusal_flood(void *arg)
{
	static const struct logline more = { "more refusals not logged", NULL };
	rsmapi_controller_handle_t c;
	rsm_memseg_export_handle_t e;
	struct seg a;
	uint64_t end;
	char *p;
	int i;

	H_CHECK(ctlrs(&c, NULL) == 0);
	H_CHECK(seg_make(c, 1, 0, 0, &a) == 0);
	H_CHECK((p = pattern_pages(1, 7)) != NULL);
	for (i = 0; i < FLOOD_N; i++)
		H_CHECK_RC(rsm_memseg_export_create(c, &e, p, pg, 0),
		    RSMERR_INSUFFICIENT_RESOURCES);
	/* The count is told with the first line let through afterwards. */
	end = h_now_ms() + 5000;
	while (log_count(arg, &more) == 0 && h_now_ms() < end) {
		H_CHECK_RC(rsm_memseg_export_create(c, &e, p, pg, 0),
		    RSMERR_INSUFFICIENT_RESOURCES);
		h_sleep_ms(20);
	}
	H_CHECK(log_count(arg, &more) > 0);
	h_pages_free(p, pg);
	H_CHECK(seg_drop(&a) == 0);
	return 0;
}

static void
test_refusals_logged(void **state)
{
	static const struct logline publish[] = {
		{ "PUBLISH of handle ", "as segment 0x500123 (0 access list "
		    "entries) refused: RSMERR_SEGID_IN_USE: segment id "
		    "0x500123 is published already" },
		{ "PUBLISH of handle ", "as segment 0x400200 (0 access list "
		    "entries) refused: RSMERR_RESERVED_SEGID: segment id "
		    "0x400200 is outside segid_min..segid_max "
		    "(0x500000..0x5fffff)" },
		{ NULL, NULL },
	};
	static const struct logline refused = { "EXPORT_CREATE of ",
	    "refused: RSMERR_INSUFFICIENT_RESOURCES" };
	struct h_rsmd d;
	int rc, n;

	(void)state;
	run_with_daemon_logged("segid_min = 0x500000\nsegid_max = 0x5fffff",
	    c_publish_refusals, NULL, publish);

	assert_int_equal(h_rsmd_start(&d, "max_segments = 1"), 0);
	rc = h_run_child(c_refusal_flood, d.log, (uid_t)-1, CHILD_MS);
	n = log_count(d.log, &refused);
	if (rc != 0 || n >= FLOOD_N / 4)
		h_rsmd_dump_log(&d);
	h_rsmd_cleanup(&d);
	setenv(RSM_SOCKET_ENV, h_daemon.sock, 1);
	assert_int_equal(rc, 0);
	/* 200 refusals in well under a second, then one every 20 ms. */
	assert_true(n >= 1 && n < FLOOD_N / 4);
}

/* ---- group ---- */

static int
group_setup(void **state)
{
	(void)state;
	pg = h_pagesize();
	return h_group_setup(state);
}

#define T(f) cmocka_unit_test_setup_teardown(f, h_test_setup, h_test_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_controllers),
		T(test_no_daemon),
		T(test_bad_handles),
		T(test_null_outputs),
		T(test_export_create),
		T(test_destroy_rebind),
		T(test_publish),
		T(test_segid_range),
		T(test_not_creator),
		T(test_connect),
		T(test_connect_permissions),
		T(test_map_disconnect),
		T(test_put_get),
		T(test_scatter_gather),
		T(test_barriers),
		T(test_signals),
		T(test_topology_segid_file),
		T(test_quota_segments),
		T(test_quota_bytes),
		T(test_quota_imports),
		T(test_max_segment_size),
		T(test_refusals_logged),
	};

	return cmocka_run_group_tests(tests, group_setup, h_group_teardown);
}
