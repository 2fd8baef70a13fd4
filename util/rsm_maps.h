/*
 * rsm_maps.h - which mapping of this process holds an address, from
 * /proc/self/maps: the PROCMAP_QUERY ioctl where the kernel has it (Linux
 * 6.11+: one call, found through the VMA tree, whatever the number of
 * mappings), else a forward scan of the file that reads it in large
 * blocks and parses only the lines it needs.
 *
 * Open the file for each check, not once per process: a descriptor kept
 * across fork() would describe the parent's address space in the child.
 */
#ifndef RSM_MAPS_H
#define RSM_MAPS_H

#include <stddef.h>
#include <stdint.h>

/* rsm_map.flags: the bits of PROCMAP_QUERY_VMA_* and of maps' "rwxs". */
#define RSM_MAP_READ	0x1u
#define RSM_MAP_WRITE	0x2u
#define RSM_MAP_EXEC	0x4u
#define RSM_MAP_SHARED	0x8u

/* One mapping, as one line of the maps file shows it. */
struct rsm_map {
	uintptr_t	 start, end;	/* [start, end) */
	uint64_t	 pgoff;		/* offset in the file */
	uint64_t	 ino;		/* 0: anonymous */
	uint64_t	 dev;		/* major << 20 | minor */
	uint32_t	 flags;		/* RSM_MAP_* */
};

/* One open maps file; on the caller's stack. */
struct rsm_maps {
	int		 fd;
	/*
	 * Ask the kernel (PROCMAP_QUERY) first; cleared by the first ENOTTY
	 * for good.  A test may clear it to force the scan.
	 */
	int		 query;
	size_t		 have;		/* scan: bytes in buf */
	size_t		 pos;		/* scan: start of the next line */
	char		 buf[8192];
};

/* Open /proc/self/maps (close-on-exec).  0, or -1 with errno. */
int	 rsm_maps_open(struct rsm_maps *);
void	 rsm_maps_close(struct rsm_maps *);

#define RSM_MAPS_FOUND	0
#define RSM_MAPS_HOLE	(-1)	/* no mapping holds the address */
#define RSM_MAPS_ERROR	(-2)	/* the file could not be read or parsed */

/*
 * The mapping holding addr, into *out: RSM_MAPS_FOUND, RSM_MAPS_HOLE or
 * RSM_MAPS_ERROR.  Successive calls on one open file must ask about
 * addresses at or above the end of the mapping the previous call found
 * (or, after a hole, at or above the address it was asked about),
 * as when walking a range mapping by mapping (the scan reads forward).
 */
int	 rsm_maps_find(struct rsm_maps *, uintptr_t addr, struct rsm_map *out);

#endif /* RSM_MAPS_H */
