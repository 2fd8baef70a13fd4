/*
 * probe_map.c - remote_probe's commands for a mapped import, remote or
 * not (every answer starts with "rc=N"; offsets are the segment's):
 *
 *   map OFF LEN r|rw        rsm_memseg_import_map with RSM_PERM_READ or
 *                           RSM_PERM_RDWR; "rc=0 at=ADDR"
 *   mapfixed OFF LEN r|rw   the same at an address reserved first
 *                           (RSM_MAP_FIXED): "rc=0 same=1" when there
 *   unmap                   rsm_memseg_import_unmap
 *   mload OFF LEN           loads through the mapping: "rc=0 sum=HEX"
 *   mstore OFF LEN SEED     stores of the pattern: "rc=0 sum=HEX"
 *   mstride OFF LEN STEP    adds 1 to every STEP-th byte (each a run of
 *                           its own in a write-back): "rc=0 sum=HEX"
 *   bopen | border | bclose the barrier calls on the probe's barrier
 *   sysw OFF LEN            write(2) from the mapping to a file, read
 *                           back: "rc=0 sum=HEX", or "rc=-1 errno=E"
 *   sysr OFF LEN SEED       read(2) of the pattern from a file into the
 *                           mapping: "rc=0 sum=HEX" of the mapping after
 *   storefault OFF          a child stores at OFF: "rc=0 sig=N" (the
 *                           signal that ended it, 0: none)
 *   forkload OFF            a child loads at OFF: "rc=0 sig=N"
 *   tload OFF               a thread loads 8 bytes at OFF (maybe blocked
 *                           in a fault); "rc=0" once started
 *   tjoin MS                waits up to MS for it: "rc=0 val=HEX", or
 *                           "rc=62" (still blocked)
 */
#include "probe_map.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char *map;		/* the mapping, and what of the segment it is */
static uint64_t map_off, map_len;
static pthread_t loader;
static _Atomic int loader_done;
static uint64_t loader_val;
static volatile uint64_t *loader_at;

/* Whether [off, off+len) lies in the mapping. */
static int
inside(uint64_t off, uint64_t len)
{
	return map != NULL && off >= map_off && len <= map_len &&
	    off - map_off <= map_len - len;
}

static int
do_map(rsm_memseg_import_handle_t h, uint64_t off, uint64_t len,
    rsm_permission_t perm, void *fixed)
{
	void *a = fixed;
	int rc;

	rc = rsm_memseg_import_map(h, &a, fixed ? RSM_MAP_FIXED : RSM_MAP_NONE,
	    perm, (off_t)off, (size_t)len);
	if (rc == RSM_SUCCESS) {
		map = a;
		map_off = off;
		map_len = len;
	}
	return rc;
}

/* A child does fn at p: the signal that ended it, 0 if none. */
static int
in_child(char *p, int store)
{
	pid_t pid;
	int st;

	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		/* The default action, whatever a sanitizer installed. */
		signal(SIGSEGV, SIG_DFL);
		if (store)
			*(volatile char *)p = 1;
		else
			(void)*(volatile char *)p;
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void *
load(void *arg)
{
	(void)arg;
	loader_val = *loader_at;
	atomic_store(&loader_done, 1);
	return NULL;
}

/* A scratch file holding len bytes of pattern seed (or nothing). */
static FILE *
scratch(uint64_t off, uint64_t len, uint64_t seed, int with)
{
	FILE *f = tmpfile();
	char *b;

	if (f == NULL || !with)
		return f;
	if ((b = malloc(len)) == NULL) {
		fclose(f);
		return NULL;
	}
	probe_fill(b, off, len, seed);
	if (fwrite(b, 1, len, f) != len || fflush(f) != 0) {
		free(b);
		fclose(f);
		return NULL;
	}
	free(b);
	rewind(f);
	return f;
}

static void
sysw(uint64_t off, uint64_t len)
{
	FILE *f = scratch(0, 0, 0, 0);
	char *b = malloc(len ? len : 1);
	ssize_t n;

	if (f == NULL || b == NULL) {
		printf("rc=-1 errno=%d\n", errno);
	} else if ((n = write(fileno(f), map + (off - map_off), len)) < 0 ||
	    (uint64_t)n != len) {
		printf("rc=-1 errno=%d\n", n < 0 ? errno : 0);
	} else if (pread(fileno(f), b, len, 0) != (ssize_t)len) {
		printf("rc=-1 errno=%d\n", errno);
	} else {
		printf("rc=0 sum=%016" PRIx64 "\n", probe_sum(b, len));
	}
	if (f != NULL)
		fclose(f);
	free(b);
}

static void
sysr(uint64_t off, uint64_t len, uint64_t seed)
{
	FILE *f = scratch(off, len, seed, 1);
	ssize_t n;

	if (f == NULL)
		printf("rc=-1 errno=%d\n", errno);
	else if ((n = read(fileno(f), map + (off - map_off), len)) < 0 ||
	    (uint64_t)n != len)
		printf("rc=-1 errno=%d\n", n < 0 ? errno : 0);
	else
		printf("rc=0 sum=%016" PRIx64 "\n",
		    probe_sum(map + (off - map_off), len));
	if (f != NULL)
		fclose(f);
}

int
probe_map_import(rsm_memseg_import_handle_t h, rsmapi_barrier_t *bar,
    const char *cmd, const char *rest)
{
	uint64_t off, len, seed, ms;
	char perm[8];
	int rc;

	if (strcmp(cmd, "map") == 0 && sscanf(rest, "%" SCNu64 " %" SCNu64
	    " %7s", &off, &len, perm) == 3) {
		rc = do_map(h, off, len, strcmp(perm, "r") == 0 ?
		    RSM_PERM_READ : RSM_PERM_RDWR, NULL);
		printf("rc=%d at=%p\n", rc, (void *)map);
	} else if (strcmp(cmd, "mapfixed") == 0 && sscanf(rest, "%" SCNu64
	    " %" SCNu64 " %7s", &off, &len, perm) == 3) {
		void *want = mmap(NULL, len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		rc = want == MAP_FAILED ? -1 : do_map(h, off, len,
		    strcmp(perm, "r") == 0 ? RSM_PERM_READ : RSM_PERM_RDWR, want);
		printf("rc=%d same=%d\n", rc, rc == 0 && (void *)map == want);
	} else if (strcmp(cmd, "unmap") == 0) {
		rc = rsm_memseg_import_unmap(h);
		if (rc == RSM_SUCCESS)
			map = NULL;
		printf("rc=%d\n", rc);
	} else if (strcmp(cmd, "mload") == 0 && sscanf(rest, "%" SCNu64
	    " %" SCNu64, &off, &len) == 2) {
		if (!inside(off, len))
			printf("rc=-1 outside\n");
		else
			printf("rc=0 sum=%016" PRIx64 "\n",
			    probe_sum(map + (off - map_off), len));
	} else if (strcmp(cmd, "mstore") == 0 && sscanf(rest, "%" SCNu64
	    " %" SCNu64 " %" SCNu64, &off, &len, &seed) == 3) {
		if (!inside(off, len)) {
			printf("rc=-1 outside\n");
		} else {
			probe_fill(map + (off - map_off), off, len, seed);
			printf("rc=0 sum=%016" PRIx64 "\n",
			    probe_sum(map + (off - map_off), len));
		}
	} else if (strcmp(cmd, "mstride") == 0 && sscanf(rest, "%" SCNu64
	    " %" SCNu64 " %" SCNu64, &off, &len, &seed) == 3 && seed > 0) {
		if (!inside(off, len)) {
			printf("rc=-1 outside\n");
		} else {
			volatile unsigned char *q = (volatile unsigned char *)
			    (map + (off - map_off));
			uint64_t i;

			for (i = 0; i < len; i += seed)
				q[i]++;
			printf("rc=0 sum=%016" PRIx64 "\n",
			    probe_sum(map + (off - map_off), len));
		}
	} else if (strcmp(cmd, "bopen") == 0) {
		printf("rc=%d\n", rsm_memseg_import_open_barrier(bar));
	} else if (strcmp(cmd, "border") == 0) {
		printf("rc=%d\n", rsm_memseg_import_order_barrier(bar));
	} else if (strcmp(cmd, "bclose") == 0) {
		printf("rc=%d\n", rsm_memseg_import_close_barrier(bar));
	} else if (strcmp(cmd, "sysw") == 0 && sscanf(rest, "%" SCNu64
	    " %" SCNu64, &off, &len) == 2 && inside(off, len)) {
		sysw(off, len);
	} else if (strcmp(cmd, "sysr") == 0 && sscanf(rest, "%" SCNu64
	    " %" SCNu64 " %" SCNu64, &off, &len, &seed) == 3 &&
	    inside(off, len)) {
		sysr(off, len, seed);
	} else if ((strcmp(cmd, "storefault") == 0 ||
	    strcmp(cmd, "forkload") == 0) &&
	    sscanf(rest, "%" SCNu64, &off) == 1 && inside(off, 1)) {
		printf("rc=0 sig=%d\n", in_child(map + (off - map_off),
		    cmd[0] == 's'));
	} else if (strcmp(cmd, "tload") == 0 &&
	    sscanf(rest, "%" SCNu64, &off) == 1 && inside(off, 8)) {
		loader_at = (volatile uint64_t *)(void *)(map + (off - map_off));
		atomic_store(&loader_done, 0);
		rc = pthread_create(&loader, NULL, load, NULL) == 0 ? 0 : -1;
		printf("rc=%d\n", rc);
	} else if (strcmp(cmd, "tjoin") == 0 &&
	    sscanf(rest, "%" SCNu64, &ms) == 1) {
		struct timespec ts = { 0, 1000000 };
		uint64_t i;

		for (i = 0; i < ms && !atomic_load(&loader_done); i++)
			nanosleep(&ts, NULL);	/* a poll with a deadline */
		if (!atomic_load(&loader_done)) {
			printf("rc=62\n");
		} else {
			pthread_join(loader, NULL);
			printf("rc=0 val=%016" PRIx64 "\n", loader_val);
		}
	} else {
		return 0;
	}
	return 1;
}
