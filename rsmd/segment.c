/*
 * segment.c - the memory of this node's segments: the memfd an exporter
 * hands over (checked and mapped), the descriptors importers are given
 * (the memfd, or a read-only reopen of it), and its release.
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "log.h"

void
segment_release_memory(struct reg_segment *s)
{
	if (s->map != NULL && s->map != MAP_FAILED)
		munmap(s->map, s->size);
	if (s->fd >= 0)
		close(s->fd);
	/* The read-only reopen names this memory: the next one is new. */
	if (s->ro_fd >= 0)
		close(s->ro_fd);
	s->map = NULL;
	s->fd = -1;
	s->ro_fd = -1;
}

/* Importers hear REVOKED before the exporter hears its reply. */
void
segment_destroy(struct rsmd *rs, struct reg_segment *s)
{
	notify_revoke_all(rs, s, RSMERR_CONN_ABORTED);
	if (s->published)
		reg_unpublish(&rs->reg, s);
	segment_release_memory(s);
	reg_export_remove(&rs->reg, s);
}

/*
 * Map a received segment descriptor after checking it is a regular file
 * (a memfd) of the right size.  exact: rebind wants exactly size bytes
 * (and the status page the library puts after them, librsm/rsm_int.h).
 */
int
segment_fd_check(int fd, uint64_t size, int exact)
{
	struct stat st;

	if (fd < 0 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		return RSMERR_BAD_ADDR;
	/* The library's memfds carry a status page after the segment. */
	if ((uint64_t)st.st_size < size || (exact &&
	    (uint64_t)st.st_size != size &&
	    (uint64_t)st.st_size != size + (uint64_t)sysconf(_SC_PAGESIZE)))
		return RSMERR_BAD_LENGTH;
	return RSM_SUCCESS;
}

int
segment_map(int fd, uint64_t size, int exact, void **map)
{
	void *p;
	int rc;

	if ((rc = segment_fd_check(fd, size, exact)) != RSM_SUCCESS)
		return rc;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return RSMERR_INSUFFICIENT_MEM;
	/*
	 * A memfd that allows sealing cannot be shrunk under the mappings
	 * from now on (a shrink would turn every access into SIGBUS).
	 */
	(void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK);
	*map = p;
	return RSM_SUCCESS;
}

int
segment_fd_for(struct reg_segment *s, uint32_t perm, int *owned)
{
	char path[64];
	int fd;

	*owned = 0;
	if (perm & RSM_PERM_WRITE)
		return s->fd;
	if (s->ro_fd >= 0)
		return s->ro_fd;
	/*
	 * The memfd reopened read-only: the importer cannot mmap it writable,
	 * so the kernel enforces the rights, not the library.  One open for
	 * all read-only importers of the segment (a path lookup through /proc
	 * per connect is most of a connect's cost), dropped again once the
	 * segment has no importers (segment_ro_put), so only segments in use
	 * hold a second descriptor.
	 */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("segment %#llx: reopen read-only",
		    (unsigned long long)s->handle);
		return -1;
	}
	s->ro_fd = fd;
	return fd;
}

void
segment_ro_put(struct reg_segment *s)
{
	if (s != NULL && s->ro_fd >= 0 && s->nimports == 0) {
		close(s->ro_fd);
		s->ro_fd = -1;
	}
}
