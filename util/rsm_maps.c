/*
 * rsm_maps.c - the mapping holding an address (see rsm_maps.h).
 *
 * Both ways are kept cheap because they run on hot paths: every export
 * checks its range, and the verbs registration cache checks the mapping
 * of every hit.  The file scan avoids stdio and sscanf, which over every
 * line cost a millisecond a call in an emulated guest: it reads blocks,
 * looks at each line's "lo-hi" only, and parses the rest of the one line
 * it returns.
 */
#include "rsm_maps.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef PROCMAP_QUERY
/*
 * From <linux/fs.h> of Linux 6.11, for system headers that predate it;
 * the ABI is fixed by the size field.
 */
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
#endif

/* Sticky once a kernel answered ENOTTY: the ioctl will not appear later. */
static _Atomic int no_query;

int
rsm_maps_open(struct rsm_maps *m)
{
	m->have = 0;
	m->pos = 0;
	m->query = !atomic_load_explicit(&no_query, memory_order_relaxed);
	m->fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	return m->fd < 0 ? -1 : 0;
}

void
rsm_maps_close(struct rsm_maps *m)
{
	if (m->fd >= 0)
		(void)close(m->fd);
	m->fd = -1;
}

/*
 * With query_flags 0 the kernel returns the mapping covering the address
 * or ENOENT (a hole).  1: the kernel has no PROCMAP_QUERY.
 */
static int
by_query(struct rsm_maps *m, uintptr_t addr, struct rsm_map *out)
{
	struct procmap_query q;

	memset(&q, 0, sizeof(q));
	q.size = sizeof(q);
	q.query_addr = addr;
	while (ioctl(m->fd, PROCMAP_QUERY, &q) != 0) {
		if (errno == EINTR)
			continue;
		if (errno == ENOTTY) {
			atomic_store(&no_query, 1);
			m->query = 0;
			return 1;
		}
		return errno == ENOENT ? RSM_MAPS_HOLE : RSM_MAPS_ERROR;
	}
	/* A mapping must contain the address asked about. */
	if (q.vma_start > addr || q.vma_end <= addr)
		return RSM_MAPS_HOLE;
	out->start = (uintptr_t)q.vma_start;
	out->end = (uintptr_t)q.vma_end;
	out->pgoff = q.vma_offset;
	out->ino = q.inode;
	out->dev = ((uint64_t)q.dev_major << 20) | q.dev_minor;
	out->flags = (uint32_t)q.vma_flags & 0xf;
	return RSM_MAPS_FOUND;
}

/* A hexadecimal field at *p, which is left after it; -1 when none. */
static int
hex_field(const char **p, const char *end, uintmax_t *v)
{
	const char *q = *p;
	uintmax_t x = 0;
	int d;

	for (; q < end; q++) {
		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (*q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else
			break;
		if (x > (UINTMAX_MAX >> 4))
			return -1;
		x = (x << 4) | (uintmax_t)d;
	}
	if (q == *p)
		return -1;
	*p = q;
	*v = x;
	return 0;
}

/*
 * The rest of a maps line after its "lo-hi": " perms off maj:min ino ...",
 * into out with lo and hi; -1 if bad.
 */
static int
parse_rest(const char *p, const char *end, uintmax_t lo, uintmax_t hi,
    struct rsm_map *out)
{
	uintmax_t off, maj, mnr, ino = 0;
	char perms[4];
	int i;

	if (end - p < 6 || *p++ != ' ')
		return -1;
	for (i = 0; i < 4; i++)
		perms[i] = *p++;
	if (*p++ != ' ' || hex_field(&p, end, &off) != 0 || p >= end ||
	    *p++ != ' ' || hex_field(&p, end, &maj) != 0 || p >= end ||
	    *p++ != ':' || hex_field(&p, end, &mnr) != 0 || p >= end ||
	    *p++ != ' ')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++)
		ino = ino * 10 + (uintmax_t)(*p - '0');
	out->start = (uintptr_t)lo;
	out->end = (uintptr_t)hi;
	out->pgoff = off;
	out->ino = ino;
	out->dev = (maj << 20) | mnr;
	out->flags = (perms[0] == 'r' ? RSM_MAP_READ : 0) |
	    (perms[1] == 'w' ? RSM_MAP_WRITE : 0) |
	    (perms[2] == 'x' ? RSM_MAP_EXEC : 0) |
	    (perms[3] == 's' ? RSM_MAP_SHARED : 0);
	return 0;
}

/*
 * The scan, from where the previous call on this file stopped, to the
 * first mapping that ends above addr (lines come in address order).
 */
static int
by_scan(struct rsm_maps *m, uintptr_t addr, struct rsm_map *out)
{
	ssize_t n;

	for (;;) {
		char *nl, *line = m->buf + m->pos;

		while ((nl = memchr(line, '\n', m->have - (size_t)(line -
		    m->buf))) != NULL) {
			const char *p = line;
			uintmax_t lo, hi;

			if (hex_field(&p, nl, &lo) == 0 && p < nl &&
			    *p++ == '-' && hex_field(&p, nl, &hi) == 0 &&
			    hi > addr) {
				/* A hole: the next call may want this line. */
				if (lo > addr) {
					m->pos = (size_t)(line - m->buf);
					return RSM_MAPS_HOLE;
				}
				m->pos = (size_t)(nl + 1 - m->buf);
				return parse_rest(p, nl, lo, hi, out) == 0 ?
				    RSM_MAPS_FOUND : RSM_MAPS_ERROR;
			}
			line = nl + 1;
		}
		/* Keep the partial line; one longer than the buffer is bad. */
		m->have -= (size_t)(line - m->buf);
		m->pos = 0;
		if (m->have == sizeof(m->buf))
			return RSM_MAPS_ERROR;
		memmove(m->buf, line, m->have);
		do
			n = read(m->fd, m->buf + m->have,
			    sizeof(m->buf) - m->have);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return RSM_MAPS_ERROR;
		if (n == 0)
			return RSM_MAPS_HOLE;	/* past the last mapping */
		m->have += (size_t)n;
	}
}

int
rsm_maps_find(struct rsm_maps *m, uintptr_t addr, struct rsm_map *out)
{
	int rc;

	if (m->query && (rc = by_query(m, addr, out)) != 1)
		return rc;
	return by_scan(m, addr, out);
}
