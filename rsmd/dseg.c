/*
 * dseg.c - daemon segments: segments rsmd itself owns (rsmadm segment),
 * in the manner of Plan 9's segment(3).  Each is an ordinary registry
 * segment, published under the id it was created with, so every import
 * path (shm, loopback, tcp0, peers) and every access check applies to it
 * unchanged; only its owner is a record of this file instead of a client,
 * so it outlives every process.
 *
 * Removing one unpublishes it; its memory stays until the last importer
 * lets go (dseg_reap, once per loop round), as a Plan 9 segment outlives
 * its directory entry.
 *
 * With segment_dir the memory is a file there, ID.data, and what the
 * registry needs to take it back after a restart sits beside it in
 * ID.meta; without it the memory is a memfd and dies with the daemon.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rsmapi.h"
#include "rsmd.h"
#include "handler.h"
#include "log.h"
#include "monitor.h"

struct dseg {
	struct reg_owner owner;	/* the owner named at creation */
	LIST_ENTRY(dseg) link;
	struct reg_segment *seg;
	uint32_t	 segid;	/* kept after removal, for the log */
	uint32_t	 flags;	/* RSM_DSEG_* */
};

/* Published ones, and removed ones still imported. */
static LIST_HEAD(, dseg) live = LIST_HEAD_INITIALIZER(live);
static LIST_HEAD(, dseg) gone = LIST_HEAD_INITIALIZER(gone);

/* What a segment is made of: from a DSEG_CREATE or an ID.meta file. */
struct dseg_meta {
	uint32_t	 segid;
	uint64_t	 size;
	uint32_t	 mode;
	uint32_t	 uid;
	uint32_t	 gid;
	uint32_t	 flags;
	uint32_t	 acl_len;
	struct rsm_wire_ace acl[RSM_ACL_MAX];
};

#define META_MAGIC	"rsm-dseg 1"

static void
file_name(char *buf, size_t len, const char *dir, uint32_t segid,
    const char *ext)
{
	snprintf(buf, len, "%s/%08" PRIx32 ".%s", dir, segid, ext);
}

/* ---- the metadata file ---- */

/*
 * Written to a temporary name, synced and renamed, so a crash leaves the
 * old file or the new one, never half of one.
 */
static int
meta_write(const char *dir, const struct dseg_meta *m)
{
	char path[4096], tmp[4096];
	FILE *f;
	uint32_t i;
	int fd, bad;

	file_name(path, sizeof(path), dir, m->segid, "meta");
	file_name(tmp, sizeof(tmp), dir, m->segid, "meta.tmp");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* Numbers as C writes them: base 0 reads each back (0 octal, 0x). */
	fprintf(f, "%s\nsegid %#" PRIx32 "\nsize %" PRIu64 "\nmode %#" PRIo32
	    "\nuid %" PRIu32 "\ngid %" PRIu32 "\nflags %" PRIu32 "\nacl %"
	    PRIu32 "\n", META_MAGIC, m->segid, m->size, m->mode, m->uid,
	    m->gid, m->flags, m->acl_len);
	for (i = 0; i < m->acl_len; i++)
		fprintf(f, "ace %" PRIu32 " %04" PRIo32 "\n", m->acl[i].node,
		    m->acl[i].perm);
	bad = fflush(f) != 0 || ferror(f) || fsync(fd) != 0;
	if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * One "KEY NUMBER" line of a metadata file, the number whole and in
 * range (base 0: as written, 0x hex, 0 octal).
 */
static int
meta_field(FILE *f, const char *key, uint64_t max, uint64_t *v)
{
	char line[128], *end;
	size_t klen = strlen(key);
	unsigned long long x;

	if (fgets(line, sizeof(line), f) == NULL ||
	    strncmp(line, key, klen) != 0 || line[klen] != ' ' ||
	    line[klen + 1] < '0' || line[klen + 1] > '9')
		return -1;
	errno = 0;
	x = strtoull(line + klen + 1, &end, 0);
	if (errno != 0 || strcmp(end, "\n") != 0 || x > max)
		return -1;
	*v = x;
	return 0;
}

/*
 * Read back what meta_write wrote, line by line, every field required,
 * in order and in range; anything else is not ours and is left alone.
 */
static int
meta_read(const char *path, struct dseg_meta *m)
{
	uint64_t v[7], node, perm;
	static const char *const keys[] = { "segid", "size", "mode", "uid",
	    "gid", "flags", "acl" };
	const uint64_t max[] = { UINT32_MAX, UINT64_MAX, 0777, UINT32_MAX,
	    UINT32_MAX, RSM_DSEG_FLAGS, RSM_ACL_MAX };
	char line[128];
	FILE *f;
	uint32_t i;
	int ok = 0;

	memset(m, 0, sizeof(*m));
	if ((f = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL ||
	    strcmp(line, META_MAGIC "\n") != 0)
		goto out;
	for (i = 0; i < 7; i++)
		if (meta_field(f, keys[i], max[i], &v[i]) == -1)
			goto out;
	m->segid = (uint32_t)v[0];
	m->size = v[1];
	m->mode = (uint32_t)v[2];
	m->uid = (uint32_t)v[3];
	m->gid = (uint32_t)v[4];
	m->flags = (uint32_t)v[5];
	m->acl_len = (uint32_t)v[6];
	for (i = 0; i < m->acl_len; i++) {
		/* "ace NODE PERM": two fields, so two lines' worth of checks. */
		char *sp, *end;

		if (fgets(line, sizeof(line), f) == NULL ||
		    strncmp(line, "ace ", 4) != 0)
			goto out;
		errno = 0;
		node = strtoull(line + 4, &sp, 10);
		if (sp == line + 4 || *sp != ' ' || errno != 0 ||
		    node > RSM_NODE_ID_MAX)
			goto out;
		perm = strtoull(sp + 1, &end, 8);
		if (end == sp + 1 || strcmp(end, "\n") != 0 || errno != 0 ||
		    perm > RSMD_ACL_PERM_MAX)
			goto out;
		m->acl[i].node = (uint32_t)node;
		m->acl[i].perm = (uint32_t)perm;
	}
	ok = fgets(line, sizeof(line), f) == NULL;
out:
	fclose(f);
	return ok ? 0 : -1;
}

/* ---- making and unmaking ---- */

static void
dseg_free(struct rsmd *rs, struct dseg *d)
{
	LIST_REMOVE(d, link);
	if (d->seg != NULL) {
		d->seg->dseg = NULL;
		segment_destroy(rs, d->seg);
	}
	free(d);
}

/*
 * New memory for a segment: a file in segment_dir, or a memfd.  Its
 * blocks are allocated now, so that a full disk or tmpfs is an error
 * here, not a SIGBUS in the daemon or an importer later.
 */
static int
memory_new(struct rsmd *rs, const struct dseg_meta *m, int *fdp)
{
	const char *dir = rs->conf.segment_dir;
	char path[4096], name[32];
	int fd, e;

	*fdp = -1;
	if (dir != NULL) {
		if (m->flags & RSM_DSEG_HUGEPAGES)
			return RSMERR_BAD_MODE;
		file_name(path, sizeof(path), dir, m->segid, "data");
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
	} else {
		snprintf(name, sizeof(name), "rsm-dseg-%08" PRIx32, m->segid);
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING |
		    ((m->flags & RSM_DSEG_HUGEPAGES) ? MFD_HUGETLB : 0));
	}
	if (fd == -1) {
		log_warn("segment %#" PRIx32 ": %s", m->segid,
		    dir != NULL ? path : "memfd_create");
		return RSMERR_INSUFFICIENT_RESOURCES;
	}
	if (ftruncate(fd, (off_t)m->size) == -1)
		e = errno == EINVAL ? RSMERR_BAD_LENGTH :
		    RSMERR_INSUFFICIENT_MEM;
	else if ((errno = posix_fallocate(fd, 0, (off_t)m->size)) != 0)
		e = errno == EINVAL ? RSMERR_BAD_LENGTH :
		    RSMERR_INSUFFICIENT_MEM;
	else {
		*fdp = fd;
		return RSM_SUCCESS;
	}
	close(fd);
	if (dir != NULL)
		unlink(path);
	return e;
}

static void
files_remove(struct rsmd *rs, uint32_t segid)
{
	char path[4096];

	if (rs->conf.segment_dir == NULL)
		return;
	/* The metadata first: a crash between leaves data nobody adopts. */
	file_name(path, sizeof(path), rs->conf.segment_dir, segid, "meta");
	unlink(path);
	file_name(path, sizeof(path), rs->conf.segment_dir, segid, "data");
	unlink(path);
}

/*
 * A segment from its description: checks, registry (limits, quotas of
 * the owner), memory (fd: adopted memory, -1: new), publication, and for
 * a new one in segment_dir its metadata file.  It takes fd: closed on
 * any failure.
 */
static int
dseg_make(struct rsmd *rs, const struct dseg_meta *m, int fd,
    const char **why)
{
	struct registry *reg = &rs->reg;
	struct reg_segment *s;
	struct dseg *d;
	uint32_t segid = m->segid;
	int rc, fresh = fd < 0;
	void *map;

	*why = NULL;
	if ((rc = reg_segid_check(reg, m->segid)) != RSM_SUCCESS) {
		*why = rc == RSMERR_SEGID_IN_USE ? "that id is published" :
		    "the id is outside segid_min .. segid_max";
		goto out;
	}
	if ((rc = reg_export_check_args(reg, m->size, 0)) != RSM_SUCCESS) {
		*why = "the size is zero, not a page multiple or above "
		    "max_segment_size";
		goto out;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		rc = RSMERR_INSUFFICIENT_MEM;
		goto out;
	}
	reg_owner_init(&d->owner, (uid_t)m->uid, (gid_t)m->gid, getpid());
	d->segid = m->segid;
	d->flags = m->flags;
	/*
	 * No controller exported it (xport 0): it is no loopback segment,
	 * so every controller reaches it.
	 */
	rc = reg_export_add(reg, &d->owner, m->size, 0, m->mode, 0, &s);
	if (rc != RSM_SUCCESS) {
		*why = "a node limit or the owner's quota";
		free(d);
		goto out;
	}
	if (fresh && (rc = memory_new(rs, m, &fd)) != RSM_SUCCESS) {
		*why = rc == RSMERR_BAD_MODE ? "huge pages need a memfd, not "
		    "segment_dir" : rc == RSMERR_BAD_LENGTH ? "the size is "
		    "not a multiple of the huge page size" : "no memory for it";
		goto undo;
	}
	if ((rc = segment_map(fd, m->size, 0, &map)) != RSM_SUCCESS) {
		*why = "its memory cannot be mapped";
		close(fd);
		goto undo_files;
	}
	s->fd = fd;
	s->map = map;
	if ((rc = reg_publish(reg, s, &segid, m->acl, m->acl_len)) !=
	    RSM_SUCCESS) {
		*why = "bad access list";
		goto undo_memory;
	}
	if (fresh && rs->conf.segment_dir != NULL &&
	    meta_write(rs->conf.segment_dir, m) == -1) {
		log_warn("segment %#" PRIx32 ": writing its metadata",
		    m->segid);
		*why = "its metadata cannot be written to segment_dir";
		rc = RSMERR_INSUFFICIENT_RESOURCES;
		reg_unpublish(reg, s);
		goto undo_memory;
	}
	s->dseg = d;
	d->seg = s;
	LIST_INSERT_HEAD(&live, d, link);
	return RSM_SUCCESS;

undo_memory:
	segment_release_memory(s);
undo_files:
	if (fresh)
		files_remove(rs, m->segid);
undo:
	reg_export_remove(reg, s);
	free(d);
	return rc;
out:
	/* An adopted descriptor is ours from the call on. */
	if (fd >= 0)
		close(fd);
	return rc;
}

static struct dseg *
find(uint32_t segid)
{
	struct dseg *d;

	LIST_FOREACH(d, &live, link)
		if (d->segid == segid)
			return d;
	return NULL;
}

/* ---- adoption at start ---- */

static void
adopt_one(struct rsmd *rs, const char *dir, const char *name)
{
	char path[4096], *end;
	struct dseg_meta m;
	struct stat st;
	unsigned long id;
	const char *why;
	int fd, rc;

	/* Exactly what file_name() makes: eight hex digits, ".meta". */
	if (strspn(name, "0123456789abcdef") != 8)
		return;
	id = strtoul(name, &end, 16);
	if (end != name + 8 || strcmp(end, ".meta") != 0 || id > UINT32_MAX)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (meta_read(path, &m) == -1 || m.segid != id) {
		log_warnx("%s: not a segment's metadata, left alone", path);
		return;
	}
	file_name(path, sizeof(path), dir, m.segid, "data");
	if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		log_warn("%s: left alone", path);
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != m.size) {
		log_warnx("%s: not a regular file of %" PRIu64 " bytes, left "
		    "alone", path, m.size);
		close(fd);
		return;
	}
	if ((rc = dseg_make(rs, &m, fd, &why)) != RSM_SUCCESS) {
		log_warnx("segment %#" PRIx32 " in %s not adopted: %s: %s",
		    m.segid, dir, rsm_err_name(rc), why ? why : "no memory");
		return;
	}
	log_info("segment %#" PRIx32 " adopted from %s: %" PRIu64 " bytes",
	    m.segid, dir, m.size);
}

void
dseg_adopt(struct rsmd *rs)
{
	const char *dir = rs->conf.segment_dir;
	struct dirent *de;
	DIR *dp;

	if (dir == NULL)
		return;
	if ((dp = opendir(dir)) == NULL) {
		log_warn("segment_dir %s", dir);
		return;
	}
	while ((de = readdir(dp)) != NULL)
		adopt_one(rs, dir, de->d_name);
	closedir(dp);
}

void
dseg_reap(struct rsmd *rs)
{
	struct dseg *d, *next;

	for (d = LIST_FIRST(&gone); d != NULL; d = next) {
		next = LIST_NEXT(d, link);
		if (d->seg->nimports == 0) {
			log_debug("removed segment %#" PRIx32 " has no "
			    "importers left: freed", d->segid);
			dseg_free(rs, d);
		}
	}
}

void
dseg_shutdown(struct rsmd *rs)
{
	while (!LIST_EMPTY(&live))
		dseg_free(rs, LIST_FIRST(&live));
	while (!LIST_EMPTY(&gone))
		dseg_free(rs, LIST_FIRST(&gone));
}

/* ---- requests ---- */

static int
refused(struct req *r, int rc, const char *what, uint32_t segid,
    const char *why)
{
	log_refusal(&r->rs->refusal_log, refusal_level(rc),
	    "client pid %d uid %u: %s of daemon segment %#" PRIx32
	    " refused: %s: %s", (int)r->c->owner.pid,
	    (unsigned)r->c->owner.uid, what, segid, rsm_err_name(rc), why);
	monitor_refusal(r->rs, r->h->type, segid, NULL, r->rs->conf.node_id,
	    r->c->owner.pid, (uint32_t)r->c->owner.uid, rc);
	return rc;
}

/* Creating, removing and writing: root, or whoever rsmd runs as. */
static int
privileged(const struct req *r)
{
	return r->c->owner.uid == 0 || r->c->owner.uid == geteuid();
}

int
h_dseg_create(struct req *r)
{
	const struct rsm_msg_dseg_create *m = r->p;
	struct dseg_meta meta;
	const char *why;
	int rc;

	if (!privileged(r))
		return refused(r, RSMERR_PERM_DENIED, "DSEG_CREATE", m->segid,
		    "only root or rsmd's own uid may create one");
	memset(&meta, 0, sizeof(meta));
	meta.segid = m->segid;
	meta.size = m->size;
	meta.mode = m->mode;
	meta.uid = m->uid;
	meta.gid = m->gid;
	meta.flags = m->flags;
	meta.acl_len = m->acl_len;
	if (m->acl_len > 0)
		memcpy(meta.acl, m->acl, m->acl_len * sizeof(meta.acl[0]));
	if ((rc = dseg_make(r->rs, &meta, -1, &why)) != RSM_SUCCESS)
		return refused(r, rc, "DSEG_CREATE", m->segid,
		    why != NULL ? why : "out of memory");
	log_info("uid %u created segment %#" PRIx32 ": %" PRIu64 " bytes, "
	    "owner %u:%u mode %04o", (unsigned)r->c->owner.uid, m->segid,
	    m->size, m->uid, m->gid, m->mode);
	return RSM_SUCCESS;
}

int
h_dseg_remove(struct req *r)
{
	const struct rsm_msg_dseg_id *m = r->p;
	struct dseg *d;

	if (!privileged(r))
		return refused(r, RSMERR_PERM_DENIED, "DSEG_REMOVE", m->segid,
		    "only root or rsmd's own uid may remove one");
	if ((d = find(m->segid)) == NULL)
		return refused(r, RSMERR_SEG_NOT_PUBLISHED, "DSEG_REMOVE",
		    m->segid, "no daemon segment has that id");
	/*
	 * Out of the directory now; importers keep the memory until they
	 * disconnect (dseg_reap).  The files go at once: the memory of a
	 * file-backed one lives on in the open descriptor.
	 */
	reg_unpublish(&r->rs->reg, d->seg);
	files_remove(r->rs, d->segid);
	LIST_REMOVE(d, link);
	LIST_INSERT_HEAD(&gone, d, link);
	log_info("uid %u removed segment %#" PRIx32 " (%zu importers keep "
	    "it)", (unsigned)r->c->owner.uid, d->segid, d->seg->nimports);
	dseg_reap(r->rs);
	return RSM_SUCCESS;
}

/* The segment and range of a read or write, checked. */
static int
io_target(struct req *r, const char *what, struct dseg **dp)
{
	const struct rsm_msg_dseg_io *m = r->p;
	struct dseg *d;

	if ((d = find(m->segid)) == NULL)
		return refused(r, RSMERR_SEG_NOT_PUBLISHED, what, m->segid,
		    "no daemon segment has that id");
	if (m->off >= d->seg->size)
		return refused(r, RSMERR_BAD_OFFSET, what, m->segid,
		    "offset at or past the end");
	if (m->len > d->seg->size - m->off)
		return refused(r, RSMERR_BAD_LENGTH, what, m->segid,
		    "the range runs past the end");
	*dp = d;
	return RSM_SUCCESS;
}

int
h_dseg_read(struct req *r)
{
	const struct rsm_msg_dseg_io *m = r->p;
	uint32_t node_mode;
	struct dseg *d;
	int rc;

	if ((rc = io_target(r, "DSEG_READ", &d)) != RSM_SUCCESS)
		return rc;
	/*
	 * The decision an import for reading from this node would get;
	 * whoever may write it may read it too.
	 */
	if (!privileged(r) && (rc = reg_access(&r->rs->reg, d->seg, &r->c->owner,
	    r->rs->conf.node_id, RSM_PERM_READ, &node_mode)) != RSM_SUCCESS)
		return refused(r, rc, "DSEG_READ", m->segid,
		    "its mode or access list does not allow reading");
	r->out.dseg.len = m->len;
	memcpy(r->out.dseg.data, (const unsigned char *)d->seg->map + m->off,
	    m->len);
	r->outlen = sizeof(struct rsm_msg_dseg_data) + m->len;
	return RSM_SUCCESS;
}

int
h_dseg_write(struct req *r)
{
	const struct rsm_msg_dseg_io *m = r->p;
	struct dseg *d;
	int rc;

	if (!privileged(r))
		return refused(r, RSMERR_PERM_DENIED, "DSEG_WRITE", m->segid,
		    "only root or rsmd's own uid may write one");
	if ((rc = io_target(r, "DSEG_WRITE", &d)) != RSM_SUCCESS)
		return rc;
	memcpy((unsigned char *)d->seg->map + m->off,
	    (const unsigned char *)r->p + sizeof(*m), m->len);
	return RSM_SUCCESS;
}

int
dseg_is_daemon(const struct reg_segment *s)
{
	return s != NULL && s->dseg != NULL;
}
