/*
 * test_verbs_absent.c - a node without RDMA (no device, or no libibverbs)
 * has no controller verbsN: asking for one is RSMERR_CTLR_NOT_PRESENT,
 * the daemon says why in its log, tcp0 and shm work beside it, and an
 * rsmd told to serve verbs there refuses to run.  Skipped on a machine
 * that does have an RDMA device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "rsmapi.h"
#include "../harness.h"


static int
has_rdma_device(void)
{
	FILE *f = popen("ls /sys/class/infiniband 2>/dev/null | head -1", "r");
	char line[64] = "";

	if (f == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) == NULL)
		line[0] = '\0';
	pclose(f);
	return line[0] != '\0';
}

static int
log_has(const char *what)
{
	char line[512];
	FILE *f;
	int found = 0;

	if ((f = fopen(h_daemon.log, "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, what) != NULL;
	fclose(f);
	return found;
}

static void
test_verbs0_not_present(void **state)
{
	rsmapi_controller_handle_t c = (void *)1;
	char v0[] = "verbs0", v3[] = "verbs3";

	(void)state;
	assert_int_equal(rsm_get_controller(v0, &c), RSMERR_CTLR_NOT_PRESENT);
	assert_null(c);
	assert_int_equal(rsm_get_controller(v3, &c), RSMERR_CTLR_NOT_PRESENT);
	assert_true(log_has("controller verbs0 requested: not present"));
}

static void
test_others_unaffected(void **state)
{
	rsmapi_controller_handle_t c;
	rsm_memseg_export_handle_t e;
	char tcp[] = "tcp0", shm[] = "shm0";
	size_t pg = h_pagesize();
	void *mem;

	(void)state;
	mem = mmap(NULL, pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(mem != MAP_FAILED);
	assert_int_equal(rsm_get_controller(tcp, &c), RSM_SUCCESS);
	assert_int_equal(rsm_memseg_export_create(c, &e, mem, pg, 0),
	    RSM_SUCCESS);
	assert_int_equal(rsm_memseg_export_destroy(e), RSM_SUCCESS);
	assert_int_equal(rsm_release_controller(c), RSM_SUCCESS);
	assert_int_equal(rsm_get_controller(shm, &c), RSM_SUCCESS);
	assert_int_equal(rsm_release_controller(c), RSM_SUCCESS);
	munmap(mem, pg);
}

/* verbs_listen without RDMA: the daemon stops instead of running without. */
static void
test_verbs_listen_refused(void **state)
{
	struct h_rsmd d;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_int_equal(h_rsmd_start(&d, "verbs_listen = 127.0.0.1:0\n"), -1);
	h_rsmd_cleanup(&d);
	/* h_rsmd_start exported its socket: point back at the group's. */
	setenv("RSM_DAEMON_SOCKET", h_daemon.sock, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verbs0_not_present),
		cmocka_unit_test(test_others_unaffected),
		cmocka_unit_test(test_verbs_listen_refused),
	};

	if (has_rdma_device()) {
		printf("SKIP: this machine has an RDMA device\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
