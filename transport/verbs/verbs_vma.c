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
#include <stdint.h>
#include <stdlib.h>
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
    struct vrc_vma *out)
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
	out->flags = (perms[0] == 'r' ? 1u : 0) | (perms[1] == 'w' ? 2u : 0) |
	    (perms[2] == 'x' ? 4u : 0) | (perms[3] == 's' ? 8u : 0);
	return 0;
}

/*
 * The maps scan of older kernels.  It runs on every cache hit, so it is
 * plain reads and a parse of each line's addresses only, until the
 * first mapping that ends above addr (lines come in address order):
 * stdio and sscanf over every line cost a millisecond a hit in an
 * emulated guest.
 */
static int
by_parse(int fd, uintptr_t addr, struct vrc_vma *out)
{
	char buf[8192];
	size_t have = 0;
	ssize_t n;

	for (;;) {
		char *nl, *line = buf;

		n = read(fd, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		have += (size_t)n;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf))) !=
		    NULL) {
			const char *p = line;
			uintmax_t lo, hi;

			if (hex_field(&p, nl, &lo) == 0 && p < nl &&
			    *p++ == '-' && hex_field(&p, nl, &hi) == 0 &&
			    hi > addr)
				return lo <= addr &&
				    parse_rest(p, nl, lo, hi, out) == 0 ? 0 : -1;
			line = nl + 1;
		}
		/* Keep the partial line; one longer than the buffer is bad. */
		have -= (size_t)(line - buf);
		if (have == sizeof(buf))
			return -1;
		memmove(buf, line, have);
	}
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
