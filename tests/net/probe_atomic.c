/*
 * probe_atomic.c - remote_probe's commands for the atomics and
 * put-with-signal (every answer starts with "rc=N"):
 *
 *   import: fadd OFF W N     N fetch-adds on the W-bit word (32: +1,
 *                            64: +2^33, so a carry out of 32 bits shows)
 *           lock OFF N       N rounds of a cas spin lock at OFF whose
 *                            critical section counts holders at OFF+8
 *                            (rc=91: two at once) and increments the
 *                            plain 64-bit word at OFF+16 with get + put
 *           psig N           N put_signals, message i in slot i (512 B):
 *                            its number i+1, then 300 bytes of pattern i
 *   export: word OFF W       "rc=0 val=V": the word in the exporter's memory
 *           cpuadd OFF W N US
 *                            N CPU atomic adds, the increments of fadd,
 *                            a pause of US microseconds after every 64
 *           sigcheck N MS    wait for N signals; on each, message i must
 *                            be in memory, whole ("rc=90 at=I" if not)
 */
#include "probe_atomic.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rsm/rsm_atomic.h"

#define SLOT	512u
#define MSGLEN	300u

static void
msg_fill(char *p, uint32_t i)
{
	uint32_t k, seq = i + 1;

	memcpy(p, &seq, sizeof(seq));
	for (k = 0; k < MSGLEN; k++)
		p[sizeof(seq) + k] = (char)(i * 31u + k * 7u + 1u);
}

static int
fadd(rsm_memseg_import_handle_t h, uint64_t off, unsigned w, unsigned n)
{
	uint32_t o32;
	uint64_t o64;
	unsigned i;
	int rc = RSM_SUCCESS;

	for (i = 0; i < n && rc == RSM_SUCCESS; i++)
		rc = w == 32 ? rsm_memseg_import_fetch_add32(h, (off_t)off, 1,
		    &o32) : rsm_memseg_import_fetch_add64(h, (off_t)off,
		    (uint64_t)1 << 33, &o64);
	return rc;
}

static int
lock_rounds(rsm_memseg_import_handle_t h, uint64_t off, unsigned n)
{
	uint32_t me = (uint32_t)getpid(), old, holders;
	uint64_t plain;
	unsigned i;
	int rc;

	for (i = 0; i < n; i++) {
		do {
			rc = rsm_memseg_import_cas32(h, (off_t)off, 0, me,
			    &old);
			if (rc != RSM_SUCCESS)
				return rc;
		} while (old != 0);
		if ((rc = rsm_memseg_import_fetch_add32(h, (off_t)off + 8, 1,
		    &holders)) != RSM_SUCCESS)
			return rc;
		if (holders != 0)
			return 91;
		if ((rc = rsm_memseg_import_get64(h, (off_t)off + 16, &plain,
		    1)) != RSM_SUCCESS)
			return rc;
		plain++;
		if ((rc = rsm_memseg_import_put64(h, (off_t)off + 16, &plain,
		    1)) != RSM_SUCCESS ||
		    (rc = rsm_memseg_import_fetch_add32(h, (off_t)off + 8,
		    (uint32_t)-1, &holders)) != RSM_SUCCESS ||
		    (rc = rsm_memseg_import_swap32(h, (off_t)off, 0, &old)) !=
		    RSM_SUCCESS)
			return rc;
		if (holders != 1 || old != me)
			return 92;
	}
	return RSM_SUCCESS;
}

int
probe_atomic_import(rsm_memseg_import_handle_t h, const char *cmd,
    const char *rest)
{
	char msg[sizeof(uint32_t) + MSGLEN];
	uint64_t off;
	unsigned w, n, i;
	int rc = RSM_SUCCESS;

	if (strcmp(cmd, "fadd") == 0 && sscanf(rest, "%" SCNu64 " %u %u",
	    &off, &w, &n) == 3 && (w == 32 || w == 64))
		rc = fadd(h, off, w, n);
	else if (strcmp(cmd, "lock") == 0 &&
	    sscanf(rest, "%" SCNu64 " %u", &off, &n) == 2)
		rc = lock_rounds(h, off, n);
	else if (strcmp(cmd, "psig") == 0 && sscanf(rest, "%u", &n) == 1) {
		for (i = 0; i < n && rc == RSM_SUCCESS; i++) {
			msg_fill(msg, i);
			rc = rsm_memseg_import_put_signal(h, (off_t)i * SLOT,
			    msg, sizeof(msg), 0);
		}
	} else
		return 0;
	printf("rc=%d\n", rc);
	return 1;
}

int
probe_atomic_export(rsm_memseg_export_handle_t h, char *mem, size_t size,
    const char *cmd, const char *rest)
{
	char want[sizeof(uint32_t) + MSGLEN];
	uint64_t off, v;
	unsigned w, n, i, ms;
	int rc = RSM_SUCCESS;

	if (strcmp(cmd, "word") == 0 && sscanf(rest, "%" SCNu64 " %u", &off,
	    &w) == 2 && (w == 32 || w == 64) && off % (w / 8) == 0 &&
	    off + w / 8 <= size) {
		v = w == 32 ? __atomic_load_n((uint32_t *)(void *)(mem + off),
		    __ATOMIC_SEQ_CST) : __atomic_load_n((uint64_t *)(void *)
		    (mem + off), __ATOMIC_SEQ_CST);
		printf("rc=0 val=%" PRIu64 "\n", v);
	} else if (strcmp(cmd, "cpuadd") == 0 && sscanf(rest, "%" SCNu64
	    " %u %u %u", &off, &w, &n, &ms) == 4 && (w == 32 || w == 64) &&
	    off % (w / 8) == 0 && off + w / 8 <= size) {
		/*
		 * Spread over the importers' run: a pause of MS us after every
		 * 64 adds (a pace, not a synchronisation: the count is exact
		 * however the adds fall among theirs).
		 */
		for (i = 0; i < n; i++) {
			if (w == 32)
				__atomic_fetch_add((uint32_t *)(void *)
				    (mem + off), 1u, __ATOMIC_SEQ_CST);
			else
				__atomic_fetch_add((uint64_t *)(void *)
				    (mem + off), (uint64_t)1 << 33,
				    __ATOMIC_SEQ_CST);
			if (ms > 0 && i % 64 == 63)
				usleep(ms);
		}
		printf("rc=0\n");
	} else if (strcmp(cmd, "sigcheck") == 0 &&
	    sscanf(rest, "%u %u", &n, &ms) == 2 &&
	    (size_t)n * SLOT <= size) {
		for (i = 0; i < n; i++) {
			if ((rc = rsm_intr_signal_wait(h, (int)ms)) !=
			    RSM_SUCCESS)
				break;
			msg_fill(want, i);
			if (memcmp(mem + (size_t)i * SLOT, want,
			    sizeof(want)) != 0) {
				rc = 90;
				break;
			}
		}
		/* Exactly n: no signal is left over. */
		if (rc == RSM_SUCCESS &&
		    rsm_intr_signal_wait(h, 0) != RSMERR_TIMEOUT)
			rc = 93;
		printf("rc=%d at=%u\n", rc, i);
	} else
		return 0;
	return 1;
}
