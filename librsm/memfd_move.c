/*
 * memfd_move.c - give an exporter's memory a home the daemon can share.
 *
 * export_create moves a page-aligned private range into a memfd without
 * changing its address or contents: the range is copied into a memfd mapped
 * at a temporary address, and that mapping is mremap()ed over the range.
 * destroy and rebind do the reverse with private anonymous memory.  The
 * range must not be written by other threads while it moves.
 */
#include "rsm_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Check that every byte of [start, end) is mapped private, readable and
 * writable, from /proc/self/maps: a hole or a shared mapping (which cannot
 * be moved) is RSMERR_BAD_ADDR, missing rights RSMERR_PERM_DENIED.
 */
static int
check_range(uintptr_t start, uintptr_t end)
{
	char line[512];
	uintptr_t cur = start;
	int rc = RSMERR_BAD_ADDR;
	FILE *f;

	if ((f = fopen("/proc/self/maps", "re")) == NULL)
		return RSMERR_INSUFFICIENT_RESOURCES;
	while (cur < end && fgets(line, sizeof(line), f) != NULL) {
		uintmax_t lo, hi;
		char perms[5];

		if (sscanf(line, "%jx-%jx %4s", &lo, &hi, perms) != 3)
			continue;
		/* Lines too long for the buffer: skip their tails. */
		if (strchr(line, '\n') == NULL) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
		}
		if (hi <= cur)
			continue;
		if (lo > cur)
			break;			/* hole before cur */
		if (perms[3] != 'p') {
			rc = RSMERR_BAD_ADDR;	/* shared: cannot move */
			goto out;
		}
		if (perms[0] != 'r' || perms[1] != 'w') {
			rc = RSMERR_PERM_DENIED;
			goto out;
		}
		cur = (uintptr_t)hi;
	}
	rc = cur >= end ? RSM_SUCCESS : RSMERR_BAD_ADDR;
out:
	fclose(f);
	return rc;
}

static int
map_errno(int e)
{
	return e == ENOMEM ? RSMERR_INSUFFICIENT_MEM :
	    RSMERR_INSUFFICIENT_RESOURCES;
}

int
rsm_memfd_move_in(void *vaddr, size_t size, int *fdp)
{
	uintptr_t start = (uintptr_t)vaddr;
	void *tmp;
	int fd, rc;

	*fdp = -1;
	if (start + size < start)
		return RSMERR_BAD_ADDR;
	if ((rc = check_range(start, start + size)) != RSM_SUCCESS)
		return rc;
	if ((fd = memfd_create("rsm-segment", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
		return map_errno(errno);
	if (ftruncate(fd, (off_t)size) != 0) {
		rc = map_errno(errno == EFBIG || errno == ENOSPC ? ENOMEM : errno);
		close(fd);
		return rc;
	}
	tmp = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (tmp == MAP_FAILED) {
		rc = map_errno(errno);
		close(fd);
		return rc;
	}
	memcpy(tmp, vaddr, size);
	if (mremap(tmp, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, vaddr) ==
	    MAP_FAILED) {
		rc = map_errno(errno);
		munmap(tmp, size);
		close(fd);
		return rc;
	}
	*fdp = fd;
	return RSM_SUCCESS;
}

int
rsm_memfd_move_out(void *vaddr, size_t size)
{
	void *tmp;

	tmp = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (tmp == MAP_FAILED)
		return RSMERR_INSUFFICIENT_MEM;
	memcpy(tmp, vaddr, size);
	if (mremap(tmp, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, vaddr) ==
	    MAP_FAILED) {
		munmap(tmp, size);
		return RSMERR_INSUFFICIENT_MEM;
	}
	return RSM_SUCCESS;
}
