/*
 * memfd_move.c - give an exporter's memory a home the daemon can share.
 *
 * export_create moves a page-aligned private range into a memfd without
 * changing its address or contents: the range is written into a memfd,
 * which is then mapped MAP_FIXED over the range.
 * destroy and rebind do the reverse with private anonymous memory.  The
 * range must not be written by other threads while it moves.
 */
#include "rsm_int.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rsm_maps.h"

/*
 * The range check.  export_create must refuse a hole or a shared mapping
 * (RSMERR_BAD_ADDR) and a range that is not readable and writable
 * (RSMERR_PERM_DENIED) before it moves anything.
 *
 * Reading /proc/self/maps costs O(number of mappings) per call, and every
 * exported segment is a mapping of its own, so a process exporting
 * thousands of segments paid milliseconds per export.  The PROCMAP_QUERY
 * ioctl (Linux 6.11) on the same file returns the one mapping covering an
 * address, found through the kernel's VMA tree, with the same
 * readable/writable/shared bits maps shows: one query per mapping the
 * range spans, independent of how many the process has.
 *
 * Cheaper tests considered and rejected, because each misses one of the
 * documented errors:
 * - msync(MS_ASYNC) and mincore() report a hole (ENOMEM) but say nothing
 *   about sharing or protections.
 * - process_vm_readv/process_vm_writev on ourselves report an unreadable or
 *   unwritable page with EFAULT without a signal, but need one access per
 *   page (protections are per mapping, whose bounds we do not know), and
 *   the write faults in, and so allocates, every page of the range.
 * - madvise(MADV_WIPEONFORK) fails with EINVAL on any shared or
 *   file-backed mapping, but it also refuses a private writable file
 *   mapping (which can be moved), ignores write permission, and changes the
 *   mapping: it splits VMAs and undoing it with MADV_KEEPONFORK would clear
 *   a setting the application may have made itself.
 * Kernels without PROCMAP_QUERY fall back to a scan of the file; both are
 * util/rsm_maps.c.
 */

/*
 * Check that every byte of [start, end) is mapped private, readable and
 * writable, mapping by mapping.
 */
static int
check_range(uintptr_t start, uintptr_t end)
{
	struct rsm_maps m;
	struct rsm_map v;
	uintptr_t cur = start;
	int rc = RSM_SUCCESS;

	if (rsm_maps_open(&m) != 0)
		return RSMERR_INSUFFICIENT_RESOURCES;
	while (cur < end) {
		int r = rsm_maps_find(&m, cur, &v);

		if (r != RSM_MAPS_FOUND) {
			rc = r == RSM_MAPS_HOLE ? RSMERR_BAD_ADDR :
			    RSMERR_INSUFFICIENT_RESOURCES;
			break;
		}
		if (v.flags & RSM_MAP_SHARED) {
			rc = RSMERR_BAD_ADDR;	/* shared: cannot move */
			break;
		}
		if ((v.flags & (RSM_MAP_READ | RSM_MAP_WRITE)) !=
		    (RSM_MAP_READ | RSM_MAP_WRITE)) {
			rc = RSMERR_PERM_DENIED;
			break;
		}
		cur = v.end;
	}
	rsm_maps_close(&m);
	return rc;
}

static int
map_errno(int e)
{
	return e == ENOMEM ? RSMERR_INSUFFICIENT_MEM :
	    RSMERR_INSUFFICIENT_RESOURCES;
}

_Atomic uint32_t *
rsm_memfd_status_map(int fd, size_t size, int prot, void *fixed)
{
	struct stat st;
	void *p;

	/* A memfd without the page (an older exporter): nothing to watch. */
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < size + rsm_pagesize())
		return NULL;
	p = mmap(fixed, rsm_pagesize(), prot, MAP_SHARED |
	    (fixed != NULL ? MAP_FIXED : 0), fd, (off_t)size);
	return p == MAP_FAILED ? NULL : (_Atomic uint32_t *)p;
}

void
rsm_memfd_status_unmap(_Atomic uint32_t *status)
{
	if (status != NULL)
		(void)munmap((void *)status, rsm_pagesize());
}

int
rsm_memfd_move_in(void *vaddr, size_t size, int *fdp,
    _Atomic uint32_t **statusp)
{
	uintptr_t start = (uintptr_t)vaddr;
	int fd, rc;

	*fdp = -1;
	*statusp = NULL;
	if (start + size < start)
		return RSMERR_BAD_ADDR;
	if ((rc = check_range(start, start + size)) != RSM_SUCCESS)
		return rc;
	if ((fd = memfd_create("rsm-segment", MFD_CLOEXEC | MFD_ALLOW_SEALING)) < 0)
		return map_errno(errno);
	/* The segment, then its status page (zero: in use). */
	if (ftruncate(fd, (off_t)(size + rsm_pagesize())) != 0) {
		rc = map_errno(errno == EFBIG || errno == ENOSPC ? ENOMEM : errno);
		close(fd);
		return rc;
	}
	/*
	 * Copy with pwrite() and map the memfd MAP_FIXED over the range: no
	 * temporary mapping to fault in page by page and tear down again.
	 * MAP_FIXED replaces the old pages in one step, so a racing reader
	 * sees the old or the new page, never a hole.
	 */
	for (size_t done = 0; done < size;) {
		ssize_t n = pwrite(fd, (const char *)vaddr + done, size - done,
		    (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 && errno == EFAULT ? RSMERR_BAD_ADDR :
			    map_errno(n < 0 && errno != ENOSPC ? errno : ENOMEM);
			close(fd);
			return rc;
		}
		done += (size_t)n;
	}
	if ((*statusp = rsm_memfd_status_map(fd, size, PROT_READ | PROT_WRITE,
	    NULL)) == NULL) {
		rc = RSMERR_INSUFFICIENT_MEM;
		close(fd);
		return rc;
	}
	if (mmap(vaddr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
	    fd, 0) == MAP_FAILED) {
		rc = map_errno(errno);
		rsm_memfd_status_unmap(*statusp);
		*statusp = NULL;
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
