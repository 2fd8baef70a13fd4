/*
 * remote_probe.c - one end of a cross-node import, driven by the network
 * tests one command line at a time on stdin, one answer line on stdout.
 *
 *   remote_probe export SEGID SIZE [NODE:PERM ...]
 *	creates SIZE bytes through tcp0 (rebind allowed), publishes them as
 *	SEGID with that
 *	access list (none: empty list), prints "ready".
 *   remote_probe import NODE SEGID PERM
 *	connects through tcp0 (PERM: r, w or rw) and initialises the
 *	import's barrier, prints "rc=N" and, when either failed, exits with
 *	status 0 after that line.
 *
 * Commands (every answer starts with "rc=N", the RSMAPI result):
 *   both:   post [noacc]          rsm_intr_signal_post on the handle
 *           wait MS               rsm_intr_signal_wait
 *           pollwait MS           poll() on rsm_memseg_get_pollfd, then wait
 *           topo                  "rc=0 ctlrs=A,B,..": the controllers of
 *                                 rsm_get_interconnect_topology
 *           quit
 *   export: sum OFF LEN           "rc=0 sum=HEX" of the exporter's memory
 *           fill OFF LEN SEED     write the pattern of SEED locally
 *           spin MS               busy for MS ms without any rsm call
 *           unpublish | destroy | republish [NODE:PERM ...]
 *           rebind SEED           rebind the whole segment to new memory
 *                                 holding the pattern of SEED
 *   import: put OFF LEN SEED      implicit-mode put of the pattern, "sum="
 *           get OFF LEN           get, "sum=" of what came back
 *           putv OFF LEN SEED N   the same in N entries (putv)
 *           getv OFF LEN N
 *           bput OFF LEN SEED     explicit barrier: open, put, close
 *           until MS [started]    get 8 bytes every ms until one fails or
 *                                 MS pass: "rc=N at=REALTIME_MS"; with
 *                                 "started", first a line "started" once
 *                                 a get succeeded (the loop is running)
 *           gets N                N gets of 8 bytes: "rc=N n=DONE ms=T"
 *           disconnect
 *
 * And the commands of probe_atomic.c (atomics, put-with-signal) and of
 * probe_map.c (a mapped import: loads, stores, barriers).
 *
 * The pattern depends on the absolute offset, so a misplaced byte shows.
 * $RSM_PROBE_CTLR names the controller both ends use (default tcp0; the
 * guest tests use verbs0).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "rsmapi.h"
#include "probe_atomic.h"
#include "probe_map.h"

static char *mem;		/* exporter: the segment; importer: a buffer */
static size_t memsize;
static rsm_memseg_export_handle_t exp_h;
static rsm_memseg_import_handle_t imp_h;
static void *handle;		/* whichever of the two this process has */

static char *
ctlr_name(void)
{
	char *n = getenv("RSM_PROBE_CTLR");

	return n != NULL && *n != '\0' ? n : "tcp0";
}

static uint8_t
pat(uint64_t seed, uint64_t pos)
{
	return (uint8_t)(seed * 131u + pos * 7u + (pos >> 8) + (pos >> 16));
}

static void
fill(char *p, uint64_t off, uint64_t len, uint64_t seed)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		p[i] = (char)pat(seed, off + i);
}

/* FNV-1a, 64 bits. */
static uint64_t
sum(const char *p, uint64_t len)
{
	uint64_t h = 0xcbf29ce484222325ull, i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void
probe_fill(char *p, uint64_t off, uint64_t len, uint64_t seed)
{
	fill(p, off, len, seed);
}

uint64_t
probe_sum(const char *p, uint64_t len)
{
	return sum(p, len);
}

static uint64_t
realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
parse_acl(int argc, char **argv, rsmapi_access_entry_t *acl)
{
	int i;

	for (i = 0; i < argc && i < 64; i++) {
		unsigned n, perm;

		if (sscanf(argv[i], "%u:%o", &n, &perm) != 2)
			return -1;
		acl[i].ae_node = n;
		acl[i].ae_permission = perm;
	}
	return i;
}

/* A scratch buffer of at least len bytes (the importer's side). */
static char *
buf(uint64_t len)
{
	if (len > memsize) {
		if (mem != NULL)
			munmap(mem, memsize);
		mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED) {
			mem = NULL;
			memsize = 0;
			return NULL;
		}
		memsize = len;
	}
	return mem;
}

static int
vec(int put, uint64_t off, uint64_t len, unsigned n, char *p)
{
	rsm_iovec_t iov[64];
	rsm_scat_gath_t sg;
	uint64_t each, done = 0;
	unsigned i;

	if (n == 0 || n > 64)
		return RSMERR_BAD_SGIO;
	each = len / n;
	memset(&sg, 0, sizeof(sg));
	for (i = 0; i < n; i++) {
		uint64_t l = i + 1 == n ? len - done : each;

		iov[i].io_type = RSM_VA_TYPE;
		iov[i].local.vaddr = p + done;
		iov[i].local_offset = 0;
		iov[i].remote_offset = off + done;
		iov[i].transfer_length = l;
		done += l;
	}
	sg.io_request_count = n;
	sg.remote_handle = imp_h;
	sg.iovec = iov;
	return put ? rsm_memseg_import_putv(&sg) : rsm_memseg_import_getv(&sg);
}

static void
topo(void)
{
	rsm_topology_t *t;
	unsigned i;
	int rc;

	if ((rc = rsm_get_interconnect_topology(&t)) != RSM_SUCCESS) {
		printf("rc=%d\n", rc);
		return;
	}
	printf("rc=0 ctlrs=");
	for (i = 0; i < t->topology_hdr.local_cntlr_count; i++)
		printf("%s%s", i ? "," : "",
		    t->connections[i]->hdr.cntlr_name);
	printf("\n");
	rsm_free_interconnect_topology(t);
}

static int
both(char *cmd, char *rest)
{
	unsigned ms = 0;
	int rc;

	if (strcmp(cmd, "topo") == 0) {
		topo();
	} else if (strcmp(cmd, "post") == 0) {
		rc = rsm_intr_signal_post(handle, strstr(rest, "noacc") ?
		    RSM_SIGPOST_NO_ACCUMULATE : 0);
		printf("rc=%d\n", rc);
	} else if (strcmp(cmd, "wait") == 0) {
		sscanf(rest, "%u", &ms);
		printf("rc=%d\n", rsm_intr_signal_wait(handle, (int)ms));
	} else if (strcmp(cmd, "pollwait") == 0) {
		struct pollfd pfd;

		sscanf(rest, "%u", &ms);
		if ((rc = rsm_memseg_get_pollfd(handle, &pfd)) == RSM_SUCCESS) {
			rc = poll(&pfd, 1, (int)ms);
			rc = rc == 1 ? rsm_intr_signal_wait(handle, 0) :
			    RSMERR_TIMEOUT;
			(void)rsm_memseg_release_pollfd(handle);
		}
		printf("rc=%d\n", rc);
	} else
		return 0;
	return 1;
}

static int
exporter(int argc, char **argv)
{
	rsmapi_access_entry_t acl[64];
	rsmapi_controller_handle_t c;
	rsm_memseg_id_t id;
	char line[1024], cmd[32];
	uint64_t off, len, seed;
	int rc, n;

	if (argc < 2)
		return 2;
	id = (rsm_memseg_id_t)strtoul(argv[0], NULL, 0);
	memsize = (size_t)strtoull(argv[1], NULL, 0);
	if ((n = parse_acl(argc - 2, argv + 2, acl)) < 0)
		return 2;
	mem = mmap(NULL, memsize, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 3;
	if ((rc = rsm_get_controller(ctlr_name(), &c)) != RSM_SUCCESS ||
	    (rc = rsm_memseg_export_create(c, &exp_h, mem, memsize,
	    RSM_ALLOW_REBIND)) !=
	    RSM_SUCCESS ||
	    (rc = rsm_memseg_export_publish(exp_h, &id, n ? acl : NULL,
	    (uint_t)n)) != RSM_SUCCESS) {
		printf("rc=%d\n", rc);
		return 1;
	}
	handle = exp_h;
	printf("ready\n");
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *rest;

		if (sscanf(line, "%31s", cmd) != 1)
			continue;
		rest = line + strlen(cmd);
		if (both(cmd, rest) ||
		    probe_atomic_export(exp_h, mem, memsize, cmd, rest))
			;
		else if (strcmp(cmd, "sum") == 0 &&
		    sscanf(rest, "%" SCNu64 " %" SCNu64, &off, &len) == 2 &&
		    off <= memsize && len <= memsize - off)
			printf("rc=0 sum=%016" PRIx64 "\n", sum(mem + off, len));
		else if (strcmp(cmd, "spin") == 0 &&
		    sscanf(rest, "%" SCNu64, &len) == 1) {
			/* Busy, and no rsm call: imports are the daemon's. */
			uint64_t end = realtime_ms() + len, spins = 0;

			while (realtime_ms() < end)
				spins++;
			printf("rc=0 spins=%" PRIu64 "\n", spins);
		} else if (strcmp(cmd, "fill") == 0 &&
		    sscanf(rest, "%" SCNu64 " %" SCNu64 " %" SCNu64, &off, &len,
		    &seed) == 3 && off <= memsize && len <= memsize - off) {
			fill(mem + off, off, len, seed);
			printf("rc=0\n");
		} else if (strcmp(cmd, "unpublish") == 0)
			printf("rc=%d\n", rsm_memseg_export_unpublish(exp_h));
		else if (strcmp(cmd, "destroy") == 0)
			printf("rc=%d\n", rsm_memseg_export_destroy(exp_h));
		else if (strcmp(cmd, "republish") == 0) {
			char *av[64];
			int ac = 0;
			char *t, *save = NULL;

			for (t = strtok_r(rest, " \t\n", &save); t != NULL &&
			    ac < 64; t = strtok_r(NULL, " \t\n", &save))
				av[ac++] = t;
			if ((n = parse_acl(ac, av, acl)) < 0)
				printf("rc=-1\n");
			else
				printf("rc=%d\n", rsm_memseg_export_republish(
				    exp_h, n ? acl : NULL, (uint_t)n));
		} else if (strcmp(cmd, "rebind") == 0 &&
		    sscanf(rest, "%" SCNu64, &seed) == 1) {
			char *nm = mmap(NULL, memsize, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (nm == MAP_FAILED) {
				printf("rc=-1 no memory\n");
			} else {
				fill(nm, 0, memsize, seed);
				rc = rsm_memseg_export_rebind(exp_h, nm, 0,
				    memsize);
				/* The old buffer is no longer the segment. */
				if (rc == RSM_SUCCESS) {
					munmap(mem, memsize);
					mem = nm;
				} else
					munmap(nm, memsize);
				printf("rc=%d\n", rc);
			}
		} else if (strcmp(cmd, "quit") == 0)
			return 0;
		else
			printf("rc=-1 bad command\n");
		fflush(stdout);
	}
	return 0;
}

static int
importer(int argc, char **argv)
{
	rsmapi_controller_handle_t c;
	rsmapi_barrier_t bar;
	rsm_permission_t perm;
	char line[256], cmd[32], *p;
	uint64_t off, len, seed, ms;
	unsigned n;
	int rc;

	if (argc != 3)
		return 2;
	perm = strcmp(argv[2], "r") == 0 ? RSM_PERM_READ :
	    strcmp(argv[2], "w") == 0 ? RSM_PERM_WRITE : RSM_PERM_RDWR;
	if ((rc = rsm_get_controller(ctlr_name(), &c)) == RSM_SUCCESS)
		rc = rsm_memseg_import_connect(c,
		    (rsm_node_id_t)strtoul(argv[0], NULL, 0),
		    (rsm_memseg_id_t)strtoul(argv[1], NULL, 0), perm, &imp_h);
	/* Implicit mode needs a barrier before any put/get (spec 5.4). */
	if (rc == RSM_SUCCESS)
		rc = rsm_memseg_import_init_barrier(imp_h, RSM_BAR_DEFAULT,
		    &bar);
	printf("rc=%d\n", rc);
	fflush(stdout);
	if (rc != RSM_SUCCESS)
		return 0;
	handle = imp_h;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		char *rest;

		if (sscanf(line, "%31s", cmd) != 1)
			continue;
		rest = line + strlen(cmd);
		if (both(cmd, rest) || probe_atomic_import(imp_h, cmd, rest) ||
		    probe_map_import(imp_h, &bar, cmd, rest))
			;
		else if (strcmp(cmd, "put") == 0 && sscanf(rest, "%" SCNu64
		    " %" SCNu64 " %" SCNu64, &off, &len, &seed) == 3 &&
		    (p = buf(len)) != NULL) {
			fill(p, off, len, seed);
			rc = rsm_memseg_import_put(imp_h, (off_t)off, p, len);
			printf("rc=%d sum=%016" PRIx64 "\n", rc, sum(p, len));
		} else if (strcmp(cmd, "get") == 0 && sscanf(rest, "%" SCNu64
		    " %" SCNu64, &off, &len) == 2 && (p = buf(len)) != NULL) {
			memset(p, 0, len);
			rc = rsm_memseg_import_get(imp_h, (off_t)off, p, len);
			printf("rc=%d sum=%016" PRIx64 "\n", rc, sum(p, len));
		} else if (strcmp(cmd, "putv") == 0 && sscanf(rest, "%" SCNu64
		    " %" SCNu64 " %" SCNu64 " %u", &off, &len, &seed, &n) ==
		    4 && (p = buf(len)) != NULL) {
			fill(p, off, len, seed);
			rc = vec(1, off, len, n, p);
			printf("rc=%d sum=%016" PRIx64 "\n", rc, sum(p, len));
		} else if (strcmp(cmd, "getv") == 0 && sscanf(rest, "%" SCNu64
		    " %" SCNu64 " %u", &off, &len, &n) == 3 &&
		    (p = buf(len)) != NULL) {
			memset(p, 0, len);
			rc = vec(0, off, len, n, p);
			printf("rc=%d sum=%016" PRIx64 "\n", rc, sum(p, len));
		} else if (strcmp(cmd, "bput") == 0 && sscanf(rest, "%" SCNu64
		    " %" SCNu64 " %" SCNu64, &off, &len, &seed) == 3 &&
		    (p = buf(len)) != NULL) {
			fill(p, off, len, seed);
			rc = rsm_memseg_import_set_mode(imp_h,
			    RSM_BARRIER_MODE_EXPLICIT);
			if (rc == RSM_SUCCESS)
				rc = rsm_memseg_import_open_barrier(&bar);
			if (rc == RSM_SUCCESS) {
				int prc = rsm_memseg_import_put(imp_h,
				    (off_t)off, p, len);

				rc = rsm_memseg_import_close_barrier(&bar);
				if (rc == RSM_SUCCESS)
					rc = prc;
			}
			(void)rsm_memseg_import_set_mode(imp_h,
			    RSM_BARRIER_MODE_IMPLICIT);
			printf("rc=%d sum=%016" PRIx64 "\n", rc, sum(p, len));
		} else if (strcmp(cmd, "gets") == 0 &&
		    sscanf(rest, "%" SCNu64, &len) == 1) {
			uint64_t i, v, t0 = realtime_ms();

			for (rc = RSM_SUCCESS, i = 0; i < len &&
			    rc == RSM_SUCCESS; i++)
				rc = rsm_memseg_import_get(imp_h, 0, &v,
				    sizeof(v));
			printf("rc=%d n=%" PRIu64 " ms=%" PRIu64 "\n", rc,
			    rc == RSM_SUCCESS ? i : i - 1, realtime_ms() - t0);
		} else if (strcmp(cmd, "until") == 0 &&
		    sscanf(rest, "%" SCNu64, &ms) == 1) {
			uint64_t end = realtime_ms() + ms, v;
			int tell = strstr(rest, "started") != NULL;

			do {
				rc = rsm_memseg_import_get(imp_h, 0, &v,
				    sizeof(v));
				if (rc != RSM_SUCCESS)
					break;
				if (tell) {
					printf("started\n");
					fflush(stdout);
					tell = 0;
				}
				/* The poll interval of the loop. */
				usleep(1000);
			} while (realtime_ms() < end);
			printf("rc=%d at=%" PRIu64 "\n", rc, realtime_ms());
		} else if (strcmp(cmd, "disconnect") == 0)
			printf("rc=%d\n", rsm_memseg_import_disconnect(imp_h));
		else if (strcmp(cmd, "quit") == 0)
			return 0;
		else
			printf("rc=-1 bad command\n");
		fflush(stdout);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return exporter(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return importer(argc - 2, argv + 2);
	fprintf(stderr, "usage: remote_probe export SEGID SIZE [NODE:PERM...]"
	    " | import NODE SEGID r|w|rw\n");
	return 2;
}
