/*
 * verbs_vma.c - which mapping holds an address: the check that keeps the
 * registration cache honest.  A cached registration pins the pages it was
 * made on; once the application unmaps or replaces that memory, RDMA
 * through it would reach the old pages.  So every cache hit asks the
 * kernel for the mapping holding the buffer and compares it with the one
 * registered (range, file, offset, protections): PROCMAP_QUERY (Linux
 * 6.11+, one ioctl) or, on older kernels, a scan of /proc/self/maps.
 * Anonymous private memory unmapped and mapped again at the same place
 * looks the same in the maps, so for it the frame of the first page is
 * compared too (verbs_page_frame, /proc/self/pagemap).  The files are
 * opened per query: a descriptor kept across fork() would describe the
 * parent.
 */
#include "verbs/verbs.h"
#include "procmap.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>


static _Atomic int no_query;

static int
by_query(int fd, uintptr_t addr, struct vrc_vma *out)
{
	struct procmap_query q;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.query_addr = addr;
	while (ioctl(fd, PROCMAP_QUERY, &q) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == ENOTTY) {
			atomic_store(&no_query, 1);
			return 1;
		}
		return -1;
	}
	if (q.vma_start > addr || q.vma_end <= addr)
		return -1;
	out->start = (uintptr_t)q.vma_start;
	out->end = (uintptr_t)q.vma_end;
	out->pgoff = q.vma_offset;
	out->ino = q.inode;
	out->dev = (q.dev_major << 20) | q.dev_minor;
	out->flags = (uint32_t)q.vma_flags & 0xf;
	return 0;
}

static int
by_parse(int fd, uintptr_t addr, struct vrc_vma *out)
{
	char line[512];
	FILE *f;
	int dupfd, rc = -1;

	if ((dupfd = dup(fd)) < 0 || (f = fdopen(dupfd, "r")) == NULL) {
		if (dupfd >= 0)
			close(dupfd);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		uintmax_t lo, hi, off, ino;
		unsigned maj, mnr;
		char perms[5];

		if (strchr(line, '\n') == NULL) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
		}
		if (sscanf(line, "%jx-%jx %4s %jx %x:%x %ju", &lo, &hi, perms,
		    &off, &maj, &mnr, &ino) != 7)
			continue;
		if (hi <= addr)
			continue;
		if (lo <= addr) {
			out->start = (uintptr_t)lo;
			out->end = (uintptr_t)hi;
			out->pgoff = off;
			out->ino = ino;
			out->dev = (maj << 20) | mnr;
			out->flags = (perms[0] == 'r' ? 1u : 0) |
			    (perms[1] == 'w' ? 2u : 0) |
			    (perms[2] == 'x' ? 4u : 0) |
			    (perms[3] == 's' ? 8u : 0);
			rc = 0;
		}
		break;
	}
	fclose(f);
	return rc;
}

int
verbs_vma_query(uintptr_t addr, struct vrc_vma *out)
{
	int fd, rc = 1;

	if ((fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (!atomic_load(&no_query))
		rc = by_query(fd, addr, out);
	if (rc == 1)
		rc = by_parse(fd, addr, out);
	close(fd);
	return rc;
}

uint64_t
verbs_page_frame(uintptr_t addr)
{
	uint64_t ent = 0;
	long pg = sysconf(_SC_PAGESIZE);
	int fd;

	if (pg <= 0 || (fd = open("/proc/self/pagemap", O_RDONLY |
	    O_CLOEXEC)) < 0)
		return 0;
	if (pread(fd, &ent, sizeof(ent), (off_t)(addr / (uintptr_t)pg *
	    sizeof(ent))) != (ssize_t)sizeof(ent))
		ent = 0;
	close(fd);
	/* Present, and a frame number shown (bits 0-54). */
	if (!(ent >> 63))
		return 0;
	return ent & ((1ull << 55) - 1);
}
