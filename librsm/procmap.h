/*
 * procmap.h - the kernel's PROCMAP_QUERY ioctl on /proc/self/maps (Linux
 * 6.11+): one call answers which mapping holds an address, with its range,
 * protections, file and offset, at a cost that does not grow with the
 * number of mappings.  Used by the export range check (memfd_move.c) and
 * the verbs registration cache (transport/verbs/verbs_vma.c).  Defined
 * here when the system headers predate it; a kernel without it answers
 * ENOTTY and the callers fall back to parsing the file.
 */
#ifndef RSM_PROCMAP_H
#define RSM_PROCMAP_H

#include <stdint.h>
#include <sys/ioctl.h>

#ifndef PROCMAP_QUERY
/* From <linux/fs.h> of Linux 6.11; the ABI is fixed by its size field. */
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};
#define PROCMAP_QUERY		_IOWR('f', 17, struct procmap_query)
#define PROCMAP_QUERY_VMA_READABLE	0x01
#define PROCMAP_QUERY_VMA_WRITABLE	0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE	0x04
#define PROCMAP_QUERY_VMA_SHARED	0x08
#endif

#endif /* RSM_PROCMAP_H */
