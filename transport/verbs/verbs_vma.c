/*
 * verbs_vma.c - which mapping holds an address: the check that keeps the
 * registration cache honest.  A cached registration pins the pages it was
 * made on; once the application unmaps or replaces that memory, RDMA
 * through it would reach the old pages.  So every cache hit asks the
 * kernel for the mapping holding the buffer and compares it with the one
 * registered (range, file, offset, protections), through util/rsm_maps.h:
 * PROCMAP_QUERY (Linux 6.11+, one ioctl) or, on older kernels, a scan of
 * /proc/self/maps.
 * Anonymous private memory unmapped and mapped again at the same place
 * looks the same in the maps, so for it the frame of the first page is
 * compared too (verbs_page_frame, /proc/self/pagemap).  The files are
 * opened per query: a descriptor kept across fork() would describe the
 * parent.
 */
#include "verbs/verbs.h"

#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "rsm_maps.h"

int
verbs_vma_query(uintptr_t addr, struct vrc_vma *out)
{
	struct rsm_maps m;
	struct rsm_map v;
	int rc;

	if (rsm_maps_open(&m) != 0)
		return -1;
	rc = rsm_maps_find(&m, addr, &v);
	rsm_maps_close(&m);
	if (rc != RSM_MAPS_FOUND)
		return -1;
	out->start = v.start;
	out->end = v.end;
	out->pgoff = v.pgoff;
	out->ino = v.ino;
	out->dev = (uint32_t)v.dev;
	out->flags = v.flags;
	return 0;
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
