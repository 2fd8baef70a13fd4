/*
 * cmd_segment.c - "rsmadm segment": the segments rsmd itself owns, in the
 * manner of Plan 9's segment(3): create, remove, read and write them, and
 * list them.  The daemon decides every right and bound; what is checked
 * here is only the command line, so that a typo gets a usage message
 * instead of a request.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rsmadm.h"
#include "rsmapi.h"
#include "rsm_size.h"

/*
 * The connection, opened only once the command line has been parsed, so
 * that a usage error is one with or without a daemon.
 */
struct seg_conn {
	struct adm_conn	 c;
	const char	*path;
	const uint32_t	*node;		/* -n, or NULL */
	int		 open;
};

static int
conn(struct seg_conn *x, struct adm_conn **cp)
{
	int rc;

	if (!x->open) {
		if ((rc = adm_open(&x->c, x->path)) != 0)
			return rc;
		if (x->node != NULL)
			adm_remote_set(&x->c, *x->node);
		x->open = 1;
	}
	*cp = &x->c;
	return 0;
}

static int
usage_error(const char *fmt, const char *arg)
{
	fputs("rsmadm: segment: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs("\nusage: rsmadm segment create ID SIZE [--mode MODE] "
	    "[--owner UID:GID] [--acl NODE:PERM,...] [--hugepages]\n"
	    "       rsmadm segment remove ID\n"
	    "       rsmadm segment read ID OFF LEN\n"
	    "       rsmadm segment write ID OFF\n"
	    "       rsmadm segment list\n", stderr);
	return ADM_EXIT_USAGE;
}

/* An unsigned number, C style (0x hex, 0 octal, else decimal), whole. */
static int
parse_u64(const char *s, int base, uint64_t max, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*v = x;
	return 0;
}

static int
parse_id(const char *s, uint32_t *id)
{
	uint64_t v;

	if (parse_u64(s, 0, UINT32_MAX, &v) == -1 || v == 0)
		return usage_error("\"%s\" is not a segment id (1 .. "
		    "0xffffffff)", s);
	*id = (uint32_t)v;
	return 0;
}

/* SIZE with an optional K, M or G (powers of 1024), rounded up to a page. */
static int
parse_size(const char *s, uint64_t *size)
{
	uint64_t x, page = (uint64_t)sysconf(_SC_PAGESIZE);

	if (rsm_parse_size(s, 10, &x) != 0 || x == 0 || x > UINT64_MAX - page)
		return -1;
	*size = (x + page - 1) / page * page;
	return 0;
}

/* A user or group, by number or by name. */
static int
parse_uid(const char *s, uint32_t *uid)
{
	struct passwd *pw;
	uint64_t v;

	if (parse_u64(s, 10, UINT32_MAX - 1, &v) == 0) {
		*uid = (uint32_t)v;
		return 0;
	}
	if ((pw = getpwnam(s)) == NULL)
		return -1;
	*uid = (uint32_t)pw->pw_uid;
	return 0;
}

static int
parse_gid(const char *s, uint32_t *gid)
{
	struct group *gr;
	uint64_t v;

	if (parse_u64(s, 10, UINT32_MAX - 1, &v) == 0) {
		*gid = (uint32_t)v;
		return 0;
	}
	if ((gr = getgrnam(s)) == NULL)
		return -1;
	*gid = (uint32_t)gr->gr_gid;
	return 0;
}

static int
parse_owner(const char *s, uint32_t *uid, uint32_t *gid)
{
	char buf[256], *colon;

	if (strlen(s) >= sizeof(buf) || (colon = strchr(s, ':')) == NULL)
		return -1;
	strcpy(buf, s);
	colon = buf + (colon - s);
	*colon = '\0';
	return parse_uid(buf, uid) == 0 && parse_gid(colon + 1, gid) == 0 ?
	    0 : -1;
}

/* NODE:PERM,... with PERM octal, as rsm_memseg_export_publish takes. */
static int
parse_acl(const char *s, struct rsm_msg_dseg_create *m)
{
	char buf[2048], *item, *save, *colon;
	uint64_t node, perm;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	for (item = strtok_r(buf, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		if ((colon = strchr(item, ':')) == NULL ||
		    m->acl_len == RSM_ACL_MAX)
			return -1;
		*colon = '\0';
		if (parse_u64(item, 10, RSM_NODE_ID_MAX, &node) == -1 ||
		    parse_u64(colon + 1, 8, 0777, &perm) == -1)
			return -1;
		m->acl[m->acl_len].node = (uint32_t)node;
		m->acl[m->acl_len].perm = (uint32_t)perm;
		m->acl_len++;
	}
	return m->acl_len > 0 ? 0 : -1;
}

static int
do_create(struct seg_conn *x, int argc, char *argv[])
{
	struct adm_conn *c;
	union {
		struct rsm_msg_dseg_create m;
		unsigned char b[sizeof(struct rsm_msg_dseg_create) +
		    RSM_ACL_MAX * sizeof(struct rsm_wire_ace)];
	} u;
	uint64_t v;
	int i;

	memset(&u, 0, sizeof(u));
	u.m.mode = 0660;
	u.m.uid = (uint32_t)getuid();
	u.m.gid = (uint32_t)getgid();
	if (argc < 2)
		return usage_error("%s", "create needs ID and SIZE");
	if (parse_id(argv[0], &u.m.segid) != 0)
		return ADM_EXIT_USAGE;
	if (parse_size(argv[1], &u.m.size) == -1)
		return usage_error("\"%s\" is not a size (N, NK, NM or NG)",
		    argv[1]);
	for (i = 2; i < argc; i++) {
		const char *o = argv[i], *a = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(o, "--hugepages") == 0) {
			u.m.flags |= RSM_DSEG_HUGEPAGES;
			continue;
		}
		if (strcmp(o, "--mode") != 0 && strcmp(o, "--owner") != 0 &&
		    strcmp(o, "--acl") != 0)
			return usage_error("unknown option \"%s\"", o);
		if (a == NULL)
			return usage_error("%s needs a value", o);
		i++;
		if (strcmp(o, "--mode") == 0) {
			if (parse_u64(a, 8, 0777, &v) == -1)
				return usage_error("\"%s\" is not a mode "
				    "(octal, at most 0777)", a);
			u.m.mode = (uint32_t)v;
		} else if (strcmp(o, "--owner") == 0) {
			if (parse_owner(a, &u.m.uid, &u.m.gid) == -1)
				return usage_error("\"%s\" is not UID:GID", a);
		} else if (u.m.acl_len != 0 || parse_acl(a, &u.m) == -1)
			return usage_error("\"%s\" is not an access list "
			    "(NODE:PERM,..., at most 64)", a);
	}
	if ((i = conn(x, &c)) != 0)
		return i;
	return adm_call(c, RSM_MSG_DSEG_CREATE, &u, sizeof(u.m) +
	    u.m.acl_len * sizeof(struct rsm_wire_ace), NULL, 0, NULL);
}

static int
do_remove(struct seg_conn *x, int argc, char *argv[])
{
	struct adm_conn *c;
	struct rsm_msg_dseg_id m = { 0, 0 };
	int rc;

	if (argc != 1)
		return usage_error("%s", "remove takes one ID");
	if (parse_id(argv[0], &m.segid) != 0)
		return ADM_EXIT_USAGE;
	if ((rc = conn(x, &c)) != 0)
		return rc;
	return adm_call(c, RSM_MSG_DSEG_REMOVE, &m, sizeof(m), NULL, 0, NULL);
}

static int
read_chunk(struct adm_conn *c, uint32_t segid, uint64_t off, uint32_t len,
    void *data)
{
	struct rsm_msg_dseg_io q = { .off = off, .segid = segid, .len = len };
	union {
		struct rsm_msg_dseg_data d;
		unsigned char b[sizeof(struct rsm_msg_dseg_data) +
		    RSM_DSEG_IO_MAX];
	} r;
	size_t n;
	int rc;

	if ((rc = adm_call(c, RSM_MSG_DSEG_READ, &q, sizeof(q), &r,
	    sizeof(r), &n)) != 0)
		return rc;
	if (r.d.len != len) {
		fprintf(stderr, "rsmadm: rsmd answered %" PRIu32 " bytes for "
		    "%" PRIu32 "\n", r.d.len, len);
		return ADM_EXIT_UNREACHABLE;
	}
	memcpy(data, r.b + sizeof(r.d), len);
	return 0;
}

static int
do_read(struct seg_conn *x, int argc, char *argv[])
{
	struct adm_conn *c;
	unsigned char buf[RSM_DSEG_IO_MAX];
	uint64_t off, len;
	uint32_t segid, n;
	int rc;

	if (argc != 3)
		return usage_error("%s", "read takes ID OFF LEN");
	if (parse_id(argv[0], &segid) != 0)
		return ADM_EXIT_USAGE;
	if (parse_u64(argv[1], 0, UINT64_MAX, &off) == -1)
		return usage_error("\"%s\" is not an offset", argv[1]);
	if (parse_u64(argv[2], 0, UINT64_MAX - off, &len) == -1 || len == 0)
		return usage_error("\"%s\" is not a length (1 .. the end)",
		    argv[2]);
	if ((rc = conn(x, &c)) != 0)
		return rc;
	/*
	 * Ask for the last byte first: a range past the end is refused
	 * before anything reaches stdout.
	 */
	if ((rc = read_chunk(c, segid, off + len - 1, 1, buf)) != 0)
		return rc;
	while (len > 0) {
		n = len < RSM_DSEG_IO_MAX ? (uint32_t)len : RSM_DSEG_IO_MAX;
		if ((rc = read_chunk(c, segid, off, n, buf)) != 0)
			return rc;
		if (fwrite(buf, 1, n, stdout) != n)
			return 0;	/* run() reports the failed write */
		off += n;
		len -= n;
	}
	return 0;
}

/* The size of daemon segment segid, from the daemon's list. */
static int
dseg_size(struct adm_conn *c, uint32_t segid, uint64_t *size)
{
	struct adm_segments l;
	size_t i;
	int rc;

	if ((rc = adm_get_segments(c, &l)) != 0)
		return rc;
	for (i = 0; i < l.n; i++)
		if (l.seg[i].published && l.seg[i].segid == segid &&
		    l.seg[i].owner_pid == c->hello.daemon_pid)
			break;
	if (i < l.n)
		*size = l.seg[i].size;
	free(l.seg);
	if (i == l.n) {
		fprintf(stderr, "rsmadm: rsmd has no segment %#" PRIx32 " of "
		    "its own\n", segid);
		return ADM_EXIT_DAEMON;
	}
	return 0;
}

static int
do_write(struct seg_conn *x, int argc, char *argv[])
{
	struct adm_conn *c;
	union {
		struct rsm_msg_dseg_io q;
		unsigned char b[sizeof(struct rsm_msg_dseg_io) +
		    RSM_DSEG_IO_MAX];
	} u;
	unsigned char *data = NULL;
	uint64_t off, size = 0, room, have = 0, sent;
	uint32_t segid, n;
	size_t got;
	int rc;

	if (argc != 2)
		return usage_error("%s", "write takes ID OFF");
	if (parse_id(argv[0], &segid) != 0)
		return ADM_EXIT_USAGE;
	if (parse_u64(argv[1], 0, UINT64_MAX, &off) == -1)
		return usage_error("\"%s\" is not an offset", argv[1]);
	if ((rc = conn(x, &c)) != 0 || (rc = dseg_size(c, segid, &size)) != 0)
		return rc;
	if (off >= size) {
		fprintf(stderr, "rsmadm: offset %" PRIu64 " is past the end "
		    "of segment %#" PRIx32 " (%" PRIu64 " bytes)\n", off,
		    segid, size);
		return ADM_EXIT_USAGE;
	}
	room = size - off;
	/*
	 * All of stdin first, at most one byte more than fits: input too
	 * long for the segment writes nothing.
	 */
	if (room >= SIZE_MAX || (data = malloc((size_t)room + 1)) == NULL) {
		fprintf(stderr, "rsmadm: out of memory\n");
		return ADM_EXIT_UNREACHABLE;
	}
	while (have <= room && (got = fread(data + have, 1,
	    (size_t)(room + 1 - have), stdin)) > 0)
		have += got;
	if (ferror(stdin)) {
		perror("rsmadm: reading stdin");
		free(data);
		return ADM_EXIT_USAGE;
	}
	if (have > room) {
		fprintf(stderr, "rsmadm: stdin holds more than the %" PRIu64
		    " bytes from offset %" PRIu64 " to the end of segment %#"
		    PRIx32 "; nothing written\n", room, off, segid);
		free(data);
		return ADM_EXIT_USAGE;
	}
	for (sent = 0, rc = 0; sent < have && rc == 0; sent += n) {
		n = have - sent < RSM_DSEG_IO_MAX ? (uint32_t)(have - sent) :
		    RSM_DSEG_IO_MAX;
		u.q.off = off + sent;
		u.q.segid = segid;
		u.q.len = n;
		memcpy(u.b + sizeof(u.q), data + sent, n);
		rc = adm_call(c, RSM_MSG_DSEG_WRITE, &u, sizeof(u.q) + n,
		    NULL, 0, NULL);
	}
	free(data);
	return rc;
}

static int
do_list(struct seg_conn *x, int argc, const struct adm_output *out)
{
	struct adm_conn *c;
	struct adm_segments l;
	struct rsm_msg_status st;
	uint64_t pid = 0;
	size_t i, k;
	int rc;

	if (argc != 0)
		return usage_error("%s", "list takes no argument");
	if ((rc = conn(x, &c)) != 0)
		return rc;
	/* The pid of the daemon asked: with -n, the node's, from its status. */
	if (c->remote) {
		if ((rc = adm_get_status(c, &st)) != 0)
			return rc;
		pid = st.daemon_pid;
	}
	if ((rc = adm_get_segments(c, &l)) != 0)
		return rc;
	if (!c->remote)
		pid = c->hello.daemon_pid;
	/* The daemon's own: the segments whose owner is rsmd's pid. */
	for (i = k = 0; i < l.n; i++)
		if (l.seg[i].owner_pid == pid)
			l.seg[k++] = l.seg[i];
	l.n = k;
	rc = out->segments(&l) == 0 ? 0 : -1;
	free(l.seg);
	return rc;
}

int
adm_segment(int argc, char *argv[], const char *path, const uint32_t *node,
    const struct adm_output *out)
{
	static const char *const words[] = { "create", "remove", "read",
	    "write", "list", NULL };
	struct seg_conn x = { .path = path, .node = node, .open = 0 };
	const char *w;
	int i, rc;

	if (argc < 2)
		return usage_error("%s", "missing subcommand");
	w = argv[1];
	for (i = 0; words[i] != NULL && strcmp(words[i], w) != 0; i++)
		;
	if (words[i] == NULL)
		return usage_error("unknown subcommand \"%s\"", w);
	if (node != NULL && i != 4) {
		fprintf(stderr, "rsmadm: segment %s cannot be asked of another "
		    "node (-n): of the segment commands only list can (see "
		    "rsmadm(8))\n", w);
		return ADM_EXIT_USAGE;
	}
	argc -= 2;
	argv += 2;
	switch (i) {
	case 0: rc = do_create(&x, argc, argv); break;
	case 1: rc = do_remove(&x, argc, argv); break;
	case 2: rc = do_read(&x, argc, argv); break;
	case 3: rc = do_write(&x, argc, argv); break;
	default: rc = do_list(&x, argc, out); break;
	}
	if (x.open)
		adm_close(&x.c);
	if (rc == -1 || fflush(stdout) != 0 || ferror(stdout)) {
		perror("rsmadm: writing output");
		rc = ADM_EXIT_USAGE;
	}
	return rc;
}
