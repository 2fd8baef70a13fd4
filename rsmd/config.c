/*
 * config.c - rsmd.conf: "key = value" lines and "#" comments, parsed with
 * inih.  Unknown keys, sections, repeated keys and bad values are errors,
 * each reported as file:line, and one run reports all of them.
 */
#include <errno.h>
#include <ini.h>
#include <netdb.h>
#include <pwd.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "rsmd.h"
#include "log.h"
#include "rsm_size.h"

#define CONF_DEFAULT_SOCKET_MODE	0666u
#define CONF_DEFAULT_SEGID_MIN		0x400000u
#define CONF_DEFAULT_SEGID_MAX		0x7fffffffu
#define CONF_DEFAULT_MAX_SEGMENTS	65535u
#define CONF_DEFAULT_MAX_SEGSIZE	(64ull << 30)
#define CONF_DEFAULT_HEARTBEAT_MS	100u
#define CONF_DEFAULT_BUSY_POLL_US	50u
#define CONF_DEFAULT_DEAD_AFTER_MS	1000u
#define CONF_DEFAULT_PEER_IDLE_S	30u
/* The peers a node may have: RSM_PEERS_MAX (rsmd.h) says why so many. */
#define CONF_PEERS_MAX			RSM_PEERS_MAX

enum conf_type {
	CT_NODE,
	CT_PATH,
	CT_MODE,
	CT_LEVEL,
	CT_SEGID,
	CT_COUNT,	/* plain number */
	CT_SIZE,	/* number with an optional K/M/G suffix */
	CT_ADDR,	/* numeric HOST:PORT */
	CT_PEER,	/* NODE_ID HOST:PORT, repeatable */
	CT_DATA_ADDR,	/* numeric HOST:PORT, port 0 = any free port */
	CT_LINKS,	/* auto, always, on-demand */
	CT_BOOL,	/* yes or no */
	CT_USER,	/* an existing user's name */
};

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	size_t		 off;
	uint64_t	 min;	/* numeric keys: accepted range */
	uint64_t	 max;
};

#define OFF(f)	offsetof(struct rsmd_config, f)

static const struct conf_key conf_keys[] = {
	{ "node_id", CT_NODE, OFF(node_id), 0, RSM_NODE_ID_MAX },
	{ "socket", CT_PATH, OFF(socket), 0, 0 },
	{ "socket_mode", CT_MODE, OFF(socket_mode), 0, 0777 },
	{ "log_level", CT_LEVEL, OFF(log_level), 0, 0 },
	{ "pidfile", CT_PATH, OFF(pidfile), 0, 0 },
	{ "user", CT_USER, OFF(user), 0, 0 },
	{ "segid_min", CT_SEGID, OFF(segid_min), RSMD_RESERVED_SEGID_END + 1,
	    RSMD_AUTO_SEGID_BASE - 1 },
	{ "segid_max", CT_SEGID, OFF(segid_max), RSMD_RESERVED_SEGID_END + 1,
	    RSMD_AUTO_SEGID_BASE - 1 },
	{ "max_segments", CT_COUNT, OFF(max_segments), 1, UINT32_MAX },
	{ "max_segment_size", CT_SIZE, OFF(max_segment_size), 1, UINT64_MAX },
	{ "quota_segments", CT_COUNT, OFF(quota_segments), 0, UINT64_MAX },
	{ "quota_bytes", CT_SIZE, OFF(quota_bytes), 0, UINT64_MAX },
	{ "quota_imports", CT_COUNT, OFF(quota_imports), 0, UINT64_MAX },
	{ "listen", CT_ADDR, OFF(listen), 0, 0 },
	{ "data_listen", CT_DATA_ADDR, OFF(data_listen), 0, 0 },
	{ "verbs_listen", CT_DATA_ADDR, OFF(verbs_listen), 0, 0 },
	{ "verbs_windows", CT_COUNT, OFF(verbs_windows), 0, 1 },
	{ "ucx", CT_COUNT, OFF(ucx), 0, 1 },
	{ "data_encrypt", CT_BOOL, OFF(data_encrypt), 0, 0 },
	{ "peer", CT_PEER, OFF(peers), 0, RSM_NODE_ID_MAX },
	{ "cluster_key_file", CT_PATH, OFF(cluster_key_file), 0, 0 },
	{ "heartbeat_ms", CT_COUNT, OFF(heartbeat_ms), 10, 60000 },
	{ "dead_after_ms", CT_COUNT, OFF(dead_after_ms), 20, 600000 },
	{ "peers_file", CT_PATH, OFF(peers_file), 0, 0 },
	{ "peer_links", CT_LINKS, OFF(peer_links), 0, 0 },
	{ "peer_idle_timeout", CT_COUNT, OFF(peer_idle_timeout), 1, 86400 },
	{ "segment_dir", CT_PATH, OFF(segment_dir), 0, 0 },
	{ "busy_poll_us", CT_COUNT, OFF(busy_poll_us), 0, 100000 },
};
#define NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

static const char *level_names[] = { "error", "warn", "info", "debug" };
static const char *links_names[] = { "auto", "always", "on-demand" };

/* What the inih callbacks share: the line counter lives in the reader. */
struct conf_parse {
	const char		*file;
	FILE			*fp;
	int			 line;
	int			 errors;
	unsigned		 seen[NKEYS];
	int			 line_of[NKEYS];	/* last line setting each key */
	int			 peer_line[CONF_PEERS_MAX];	/* by peer index */
	struct rsmd_config	*cf;
};

void
config_defaults(struct rsmd_config *cf)
{
	memset(cf, 0, sizeof(*cf));
	cf->node_id = 0;
	cf->socket = NULL;
	cf->socket_mode = CONF_DEFAULT_SOCKET_MODE;
	cf->log_level = RSMD_LOG_INFO;
	cf->verbs_windows = 1;
	cf->pidfile = NULL;
	cf->segid_min = CONF_DEFAULT_SEGID_MIN;
	cf->segid_max = CONF_DEFAULT_SEGID_MAX;
	cf->max_segments = CONF_DEFAULT_MAX_SEGMENTS;
	cf->max_segment_size = CONF_DEFAULT_MAX_SEGSIZE;
	cf->heartbeat_ms = CONF_DEFAULT_HEARTBEAT_MS;
	cf->dead_after_ms = CONF_DEFAULT_DEAD_AFTER_MS;
	cf->peer_links = RSMD_LINKS_AUTO;
	cf->peer_idle_timeout = CONF_DEFAULT_PEER_IDLE_S;
	cf->busy_poll_us = CONF_DEFAULT_BUSY_POLL_US;
}

void
config_free(struct rsmd_config *cf)
{
	free(cf->socket);
	free(cf->pidfile);
	free(cf->user);
	cf->user = NULL;
	free(cf->listen);
	free(cf->data_listen);
	free(cf->verbs_listen);
	free(cf->peers);
	free(cf->cluster_key_file);
	free(cf->peers_file);
	cf->peers_file = NULL;
	free(cf->segment_dir);
	cf->segment_dir = NULL;
	cf->socket = NULL;
	cf->pidfile = NULL;
	cf->listen = NULL;
	cf->data_listen = NULL;
	cf->verbs_listen = NULL;
	cf->peers = NULL;
	cf->npeers = 0;
	cf->cluster_key_file = NULL;
}

int
config_parse_level(const char *s, int *level)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*level = (int)i;
			return 0;
		}
	return -1;
}

const char *
config_level_name(int level)
{
	if (level < 0 || level > RSMD_LOG_DEBUG)
		return "?";
	return level_names[level];
}

/*
 * Decimal, 0x hex or 0 octal; with_suffix also takes K, M or G (binary
 * multiples).  No sign, no trailing junk, no overflow.
 */
static int
parse_number(const char *s, int with_suffix, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (with_suffix)
		return rsm_parse_size(s, 0, out);
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0')
		return -1;
	*out = (uint64_t)v;
	return 0;
}

static void conf_error(struct conf_parse *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * "A.B.C.D:PORT", "[V6]:PORT" or "*:PORT" (any IPv4 address), numeric
 * only.  0, or -1 with *why set.
 */
int
config_parse_addr(const char *s, struct rsmd_addr *a, const char **why)
{
	char host[64], port[8];
	const char *colon, *h = s;
	struct addrinfo hints, *res;
	size_t hl;

	*why = "expected HOST:PORT with a numeric IPv4 or [IPv6] address";
	if (strlen(s) >= sizeof(a->text))
		return -1;
	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return -1;
		h = s + 1;
		hl = (size_t)(end - h);
		colon = end + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL ||
		    memchr(s, ':', (size_t)(colon - s)) != NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	if (strcmp(host, "*") == 0)
		strcpy(host, "0.0.0.0");
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof(port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atoi(colon + 1) < 1 || atoi(colon + 1) > 65535) {
		*why = "port must be a number from 1 to 65535";
		return -1;
	}
	strcpy(port, colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memset(a, 0, sizeof(*a));
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->salen = res->ai_addrlen;
	snprintf(a->text, sizeof(a->text), "%s", s);
	freeaddrinfo(res);
	return 0;
}

static int
conf_listen(struct conf_parse *p, const char *value)
{
	struct rsmd_addr a;
	const char *why;

	if (config_parse_addr(value, &a, &why) == -1) {
		conf_error(p, "listen: \"%s\": %s", value, why);
		return 0;
	}
	free(p->cf->listen);
	if ((p->cf->listen = malloc(sizeof(a))) == NULL)
		fatal("malloc");
	*p->cf->listen = a;
	return 1;
}

int
config_data_listen(const struct rsmd_config *cf, struct rsmd_addr *out)
{
	const char *why;
	char host[sizeof(out->text)];
	char *colon;

	if (cf->data_listen != NULL) {
		*out = *cf->data_listen;
		return 1;
	}
	if (cf->listen == NULL) {
		/* The default parses with port 1, then asks for any port. */
		if (config_parse_addr("127.0.0.1:1", out, &why) == -1)
			fatal("default data_listen: %s", why);
		((struct sockaddr_in *)(void *)&out->sa)->sin_port = 0;
		snprintf(out->text, sizeof(out->text), "%s",
		    RSMD_DEFAULT_DATA_LISTEN);
		return 0;
	}
	/*
	 * A cluster node: its peers reach it at the host of listen, so that
	 * is where importers on them find its data port too.
	 */
	*out = *cf->listen;
	if (out->sa.ss_family == AF_INET6)
		((struct sockaddr_in6 *)(void *)&out->sa)->sin6_port = 0;
	else
		((struct sockaddr_in *)(void *)&out->sa)->sin_port = 0;
	/* "HOST:PORT" with PORT replaced by 0: never longer than before. */
	memcpy(host, cf->listen->text, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	if ((colon = strrchr(host, ':')) != NULL && colon[1] != '\0') {
		colon[1] = '0';
		colon[2] = '\0';
	}
	memcpy(out->text, host, sizeof(out->text));
	return 1;
}

/*
 * data_listen and verbs_listen: as listen, but port 0 (a free port is
 * picked) is allowed, since importers learn the port from their
 * capabilities.
 */
static int
conf_data_listen(struct conf_parse *p, const char *name, const char *value,
    struct rsmd_addr **dst)
{
	struct rsmd_addr a;
	const char *why;
	char buf[sizeof(a.text)];
	size_t n = strlen(value);
	int any = n >= 2 && strcmp(value + n - 2, ":0") == 0;

	if (n >= sizeof(buf)) {
		conf_error(p, "%s: \"%s\" is too long", name, value);
		return 0;
	}
	snprintf(buf, sizeof(buf), "%s", value);
	if (any)
		buf[n - 1] = '1';	/* parsed as 1, then set back to 0 */
	if (config_parse_addr(buf, &a, &why) == -1) {
		conf_error(p, "%s: \"%s\": %s (0 picks a free port)",
		    name, value, why);
		return 0;
	}
	if (any) {
		if (a.sa.ss_family == AF_INET)
			((struct sockaddr_in *)(void *)&a.sa)->sin_port = 0;
		else
			((struct sockaddr_in6 *)(void *)&a.sa)->sin6_port = 0;
		snprintf(a.text, sizeof(a.text), "%s", value);
	}
	free(*dst);
	if ((*dst = malloc(sizeof(a))) == NULL)
		fatal("malloc");
	**dst = a;
	return 1;
}

/* "NODE_ID HOST:PORT"; ids unique (the own id is checked at the end). */
static int
conf_peer(struct conf_parse *p, const char *value)
{
	struct rsmd_config *cf = p->cf;
	struct rsmd_addr a, *np;
	char buf[128], *id, *addr, *save;
	const char *why;
	uint64_t v;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", value);
	id = strtok_r(buf, " \t", &save);
	addr = id ? strtok_r(NULL, " \t", &save) : NULL;
	if (strlen(value) >= sizeof(buf) || addr == NULL ||
	    strtok_r(NULL, " \t", &save) != NULL) {
		conf_error(p, "peer: \"%s\": expected \"NODE_ID HOST:PORT\"",
		    value);
		return 0;
	}
	if (parse_number(id, 0, &v) == -1 || v > RSM_NODE_ID_MAX) {
		conf_error(p, "peer: node id \"%s\" is not a number in "
		    "0..%u", id, RSM_NODE_ID_MAX);
		return 0;
	}
	if (config_parse_addr(addr, &a, &why) == -1) {
		conf_error(p, "peer %s: \"%s\": %s", id, addr, why);
		return 0;
	}
	for (i = 0; i < cf->npeers; i++)
		if (cf->peers[i].node_id == v) {
			conf_error(p, "peer %s is listed twice (first at line "
			    "%d)", id, p->peer_line[i]);
			return 0;
		}
	if (cf->npeers >= CONF_PEERS_MAX) {
		conf_error(p, "peer: more than %u peers", CONF_PEERS_MAX);
		return 0;
	}
	a.node_id = (uint32_t)v;
	if ((np = realloc(cf->peers, (cf->npeers + 1) * sizeof(*np))) == NULL)
		fatal("realloc");
	cf->peers = np;
	p->peer_line[cf->npeers] = p->line;
	cf->peers[cf->npeers++] = a;
	return 1;
}

static void
conf_error(struct conf_parse *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_errx("%s:%d: %s", p->file, p->line, msg);
	p->errors++;
}

static int
conf_handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct conf_parse *p = user;
	const struct conf_key *k = NULL;
	char *base = (char *)p->cf;
	uint64_t v;
	size_t i;
	int level;

	/*
	 * A section header was reported at its own line (check_syntax); the
	 * keys after it are judged as keys all the same, so one run names
	 * every mistake.
	 */
	(void)section;
	for (i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0) {
			k = &conf_keys[i];
			break;
		}
	if (k == NULL) {
		conf_error(p, "unknown key \"%s\"", name);
		return 0;
	}
	if (p->seen[i]++ && k->type != CT_PEER) {
		conf_error(p, "\"%s\" is set twice", name);
		return 0;
	}
	p->line_of[i] = p->line;

	switch (k->type) {
	case CT_USER:
		errno = 0;
		if (getpwnam(value) == NULL) {
			conf_error(p, "%s: no user \"%s\"%s%s", name, value,
			    errno ? ": " : "", errno ? strerror(errno) : "");
			return 0;
		}
		{
			char **dst = (char **)(void *)(base + k->off);
			char *copy = strdup(value);

			if (copy == NULL)
				fatal("strdup");
			free(*dst);
			*dst = copy;
		}
		return 1;
	case CT_PATH:
		if (value[0] != '/') {
			conf_error(p, "%s: \"%s\" is not an absolute path",
			    name, value);
			return 0;
		}
		if (strcmp(name, "socket") == 0 &&
		    strlen(value) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
			conf_error(p, "%s: \"%s\" is too long for a socket path",
			    name, value);
			return 0;
		}
		{
			char **dst = (char **)(void *)(base + k->off);
			char *copy = strdup(value);

			if (copy == NULL)
				fatal("strdup");
			free(*dst);
			*dst = copy;
		}
		return 1;
	case CT_LEVEL:
		if (config_parse_level(value, &level) == -1) {
			conf_error(p, "%s: \"%s\" is not one of error, warn, "
			    "info, debug", name, value);
			return 0;
		}
		*(int *)(void *)(base + k->off) = level;
		return 1;
	case CT_LINKS:
		for (i = 0; i < sizeof(links_names) / sizeof(links_names[0]);
		    i++)
			if (strcmp(value, links_names[i]) == 0) {
				*(int *)(void *)(base + k->off) = (int)i;
				return 1;
			}
		conf_error(p, "%s: \"%s\" is not one of auto, always, "
		    "on-demand", name, value);
		return 0;
	case CT_BOOL:
		if (strcmp(value, "yes") == 0 || strcmp(value, "no") == 0) {
			*(int *)(void *)(base + k->off) = value[0] == 'y';
			return 1;
		}
		conf_error(p, "%s: \"%s\" is not yes or no", name, value);
		return 0;
	case CT_ADDR:
		return conf_listen(p, value);
	case CT_PEER:
		return conf_peer(p, value);
	case CT_DATA_ADDR:
		return conf_data_listen(p, name, value,
		    (struct rsmd_addr **)(void *)(base + k->off));
	default:
		break;
	}

	if (parse_number(value, k->type == CT_SIZE, &v) == -1) {
		conf_error(p, k->type == CT_SIZE ?
		    "%s: \"%s\" is not a size (number with optional K, M, G)" :
		    "%s: \"%s\" is not a number", name, value);
		return 0;
	}
	if (v < k->min || v > k->max) {
		if (k->type == CT_MODE)
			conf_error(p, "%s: %s is out of range 0..0777", name,
			    value);
		else if (k->type == CT_SEGID)
			conf_error(p, "%s: %s is out of range %#" PRIx64 "..%#"
			    PRIx64, name, value, k->min, k->max);
		else
			conf_error(p, "%s: %s is out of range %" PRIu64 "..%"
			    PRIu64, name, value, k->min, k->max);
		return 0;
	}
	switch (k->type) {
	case CT_NODE:
	case CT_MODE:
	case CT_SEGID:
		*(uint32_t *)(void *)(base + k->off) = (uint32_t)v;
		break;
	default:
		*(uint64_t *)(void *)(base + k->off) = v;
		break;
	}
	return 1;
}

/*
 * inih skips lines it cannot split without telling which: name them here,
 * so one run reports every one of them with its line.
 */
static void
check_syntax(struct conf_parse *p, const char *line)
{
	const char *s = line;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s == '[') {
		if (strchr(s, ']') == NULL)
			conf_error(p, "syntax error: unterminated \"[\"");
		else
			conf_error(p, "sections are not used (\"%.*s\")",
			    (int)(strchr(s, ']') - s + 1), s);
		return;
	}
	if (strpbrk(s, "=:") == NULL)
		conf_error(p, "syntax error (expected \"key = value\")");
}

/*
 * One line of the file for inih, and its number for the handler.  The
 * reader reads whole lines itself, so that inih's own line rules cannot
 * change what a line means: a line longer than inih's buffer (which it
 * would cut and read on as a new line) or holding a NUL byte (which hides
 * the rest) is an error and reaches inih empty; leading blanks are
 * dropped, so an indented line is never a continuation of the key before
 * it.
 */
static char *
conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	int c = EOF, n = 0, nul = 0, cut = 0, lead = 1;

	if (num < 2)
		return NULL;
	while ((c = getc(p->fp)) != EOF && c != '\n') {
		if (c == '\0') {
			nul = 1;
			continue;
		}
		if (lead && (c == ' ' || c == '\t'))
			continue;
		lead = 0;
		/* Room for the newline and the NUL. */
		if (n < num - 2)
			str[n++] = (char)c;
		else
			cut = 1;
	}
	if (c == EOF && n == 0 && !nul && !cut && lead)
		return NULL;
	p->line++;
	if (cut)
		conf_error(p, "line too long (at most %d characters)", num - 2);
	if (nul)
		conf_error(p, "NUL byte in the line");
	if (cut || nul)
		n = 0;
	str[n++] = '\n';
	str[n] = '\0';
	check_syntax(p, str);
	return str;
}

static int
key_index(const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(conf_keys[i].name, name) == 0)
			return (int)i;
	return 0;
}

/*
 * Whether a peers_file line is not one to add: this node's own (skipped
 * quietly), or a node that a peer line already names (an error).  Any
 * other fault of the line is conf_peer()'s to report.
 */
static int
file_peer_skip(struct conf_parse *p, const char *s, const char *conf_file)
{
	const struct rsmd_config *cf = p->cf;
	size_t len = strcspn(s, " \t"), i;
	char id[16];
	uint64_t v;

	if (len >= sizeof(id) || s[len] == '\0')
		return 0;
	memcpy(id, s, len);
	id[len] = '\0';
	if (parse_number(id, 0, &v) == -1)
		return 0;
	if (p->seen[0] && v == cf->node_id)
		return 1;
	for (i = 0; i < cf->npeers_listed; i++)
		if (cf->peers[i].node_id == v) {
			conf_error(p, "node %s is also a peer line (%s:%d)",
			    id, conf_file, p->peer_line[i]);
			return 1;
		}
	return 0;
}

/*
 * peers_file: one "NODE_ID HOST:PORT" per line, like a peer value; '#'
 * starts a comment, blank lines are skipped.  The one file serves every
 * node of a cluster, so the line of this node's own node_id is skipped.
 * Errors name the peers file and its line.
 */
static void
load_peers_file(struct conf_parse *p)
{
	struct rsmd_config *cf = p->cf;
	const char *conf_file = p->file;
	char line[512], *s, *e;
	int conf_line = p->line_of[key_index("peers_file")], n = 0;
	FILE *fp;

	if ((fp = fopen(cf->peers_file, "re")) == NULL) {
		p->line = conf_line;
		conf_error(p, "peers_file = %s: %s", cf->peers_file,
		    strerror(errno));
		return;
	}
	p->file = cf->peers_file;
	while (fgets(line, sizeof(line), fp) != NULL) {
		p->line = ++n;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			int c;

			conf_error(p, "line too long (at most %zu characters)",
			    sizeof(line) - 2);
			while ((c = getc(fp)) != EOF && c != '\n')
				;
			continue;
		}
		if ((e = strchr(line, '#')) != NULL)
			*e = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' ||
		    e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
			;
		*e = '\0';
		if (*s == '\0')
			continue;
		if (file_peer_skip(p, s, conf_file))
			continue;
		if (conf_peer(p, s) && cf->peers[cf->npeers - 1].node_id == 0) {
			conf_error(p, "node 0 cannot be a peer (cluster node "
			    "ids are 1..%u)", RSM_NODE_ID_MAX);
		}
	}
	if (ferror(fp))
		conf_error(p, "read error");
	fclose(fp);
	p->file = conf_file;
}

int
config_links_on_demand(const struct rsmd_config *cf)
{
	return cf->peer_links == RSMD_LINKS_ON_DEMAND ||
	    (cf->peer_links == RSMD_LINKS_AUTO && cf->peers_file != NULL);
}

/* Cross-key rules of the cluster keys, reported at the line that broke them. */
static void
check_cluster(struct conf_parse *p)
{
	struct rsmd_config *cf = p->cf;
	int hb = key_index("heartbeat_ms"), dead = key_index("dead_after_ms");
	size_t i;

	/*
	 * Node 0 is the node of a daemon without a configuration, and the
	 * daemon's records use it for "this node": no cluster member has it.
	 */
	for (i = 0; i < cf->npeers_listed; i++) {
		if (p->seen[0] && cf->peers[i].node_id == cf->node_id) {
			p->line = p->peer_line[i];
			conf_error(p, "peer %u is this node's own node_id",
			    cf->node_id);
		} else if (cf->peers[i].node_id == 0) {
			p->line = p->peer_line[i];
			conf_error(p, "peer 0: node 0 cannot be a peer (cluster "
			    "node ids are 1..%u)", RSM_NODE_ID_MAX);
		}
	}
	if (p->seen[0] && cf->node_id == 0 &&
	    (cf->listen != NULL || cf->npeers > 0 || cf->peers_file)) {
		p->line = p->line_of[0];
		conf_error(p, "node_id 0 cannot be in a cluster (listen, peer, "
		    "peers_file): "
		    "cluster node ids are 1..%u", RSM_NODE_ID_MAX);
	}
	if (cf->dead_after_ms < 2 * cf->heartbeat_ms) {
		p->line = p->line_of[p->seen[dead] ? dead : hb];
		conf_error(p, "dead_after_ms (%" PRIu64 ") must be at least "
		    "twice heartbeat_ms (%" PRIu64 ")", cf->dead_after_ms,
		    cf->heartbeat_ms);
	}
	if ((cf->listen != NULL || cf->npeers > 0 || cf->peers_file) &&
	    cf->cluster_key_file == NULL) {
		p->line = cf->listen ? p->line_of[key_index("listen")] :
		    cf->npeers_listed ? p->peer_line[0] :
		    p->line_of[key_index("peers_file")];
		conf_error(p, "listen, peer and peers_file need "
		    "cluster_key_file");
	}
}

int
config_load(const char *file, struct rsmd_config *cf, int missing_ok,
    int *missing)
{
	struct conf_parse p;
	int rc;

	config_defaults(cf);
	if (missing)
		*missing = 0;
	memset(&p, 0, sizeof(p));
	p.file = file;
	p.cf = cf;
	if ((p.fp = fopen(file, "r")) == NULL) {
		if (errno == ENOENT && missing_ok) {
			log_warnx("%s does not exist: running as node 0 with "
			    "the default settings", file);
			if (missing)
				*missing = 1;
			return 0;
		}
		log_errx("%s: %s", file, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	fclose(p.fp);
	if (rc < 0) {
		log_errx("%s: cannot parse (out of memory)", file);
		return -1;
	}
	/* inih counts lines it could not split as errors the handler never saw. */
	if (rc > 0 && p.errors == 0) {
		log_errx("%s:%d: syntax error (expected \"key = value\")",
		    file, rc);
		p.errors++;
	}
	if (!p.seen[0]) {
		log_errx("%s: node_id is required", file);
		p.errors++;
	}
	if (cf->segid_min > cf->segid_max) {
		log_errx("%s: segid_min %#x is above segid_max %#x", file,
		    cf->segid_min, cf->segid_max);
		p.errors++;
	}
	cf->npeers_listed = cf->npeers;
	if (cf->peers_file != NULL)
		load_peers_file(&p);
	check_cluster(&p);
	if (p.errors) {
		config_free(cf);
		return -1;
	}
	return 0;
}

/* Largest exact binary suffix, so the printed file parses back the same. */
static void
print_size(FILE *fp, const char *key, uint64_t v)
{
	static const char suffix[] = "GMK";
	int i;

	for (i = 0; i < 3 && v != 0; i++) {
		uint64_t unit = 1ull << (10 * (3 - i));

		if (v % unit == 0) {
			fprintf(fp, "%s = %" PRIu64 "%c\n", key, v / unit,
			    suffix[i]);
			return;
		}
	}
	fprintf(fp, "%s = %" PRIu64 "\n", key, v);
}

void
config_print(const struct rsmd_config *cf, FILE *fp)
{
	fprintf(fp, "node_id = %u\n", cf->node_id);
	fprintf(fp, "socket = %s\n", cf->socket ? cf->socket :
	    RSM_DEFAULT_SOCKET);
	fprintf(fp, "socket_mode = 0%03o\n", cf->socket_mode);
	fprintf(fp, "log_level = %s\n", config_level_name(cf->log_level));
	if (cf->pidfile)
		fprintf(fp, "pidfile = %s\n", cf->pidfile);
	else
		fprintf(fp, "# pidfile: none\n");
	if (cf->user)
		fprintf(fp, "user = %s\n", cf->user);
	else
		fprintf(fp, "# user: none\n");
	fprintf(fp, "segid_min = %#x\n", cf->segid_min);
	fprintf(fp, "segid_max = %#x\n", cf->segid_max);
	fprintf(fp, "max_segments = %" PRIu64 "\n", cf->max_segments);
	print_size(fp, "max_segment_size", cf->max_segment_size);
	fprintf(fp, "quota_segments = %" PRIu64 "\n", cf->quota_segments);
	print_size(fp, "quota_bytes", cf->quota_bytes);
	fprintf(fp, "quota_imports = %" PRIu64 "\n", cf->quota_imports);
	/* Printed only when set, as the files it names are its meaning. */
	if (cf->segment_dir)
		fprintf(fp, "segment_dir = %s\n", cf->segment_dir);
	if (cf->listen)
		fprintf(fp, "listen = %s\n", cf->listen->text);
	else
		fprintf(fp, "# listen: none\n");
	{
		struct rsmd_addr d;

		(void)config_data_listen(cf, &d);
		fprintf(fp, "data_listen = %s\n", d.text);
	}
	if (cf->verbs_listen)
		fprintf(fp, "verbs_listen = %s\n", cf->verbs_listen->text);
	else
		fprintf(fp, "# verbs_listen: none\n");
	fprintf(fp, "verbs_windows = %" PRIu64 "\n", cf->verbs_windows);
	fprintf(fp, "ucx = %" PRIu64 "\n", cf->ucx);
	fprintf(fp, "data_encrypt = %s\n", cf->data_encrypt ? "yes" : "no");
	for (size_t i = 0; i < cf->npeers_listed; i++)
		fprintf(fp, "peer = %u %s\n", cf->peers[i].node_id,
		    cf->peers[i].text);
	if (cf->peers_file)
		fprintf(fp, "peers_file = %s\n# peers_file: %zu peers\n",
		    cf->peers_file, cf->npeers - cf->npeers_listed);
	else
		fprintf(fp, "# peers_file: none\n");
	fprintf(fp, "peer_links = %s\n", links_names[cf->peer_links]);
	fprintf(fp, "# peer links: %s\n", config_links_on_demand(cf) ?
	    "on demand" : "always up");
	fprintf(fp, "peer_idle_timeout = %" PRIu64 "\n",
	    cf->peer_idle_timeout);
	if (cf->cluster_key_file)
		fprintf(fp, "cluster_key_file = %s\n", cf->cluster_key_file);
	fprintf(fp, "heartbeat_ms = %" PRIu64 "\n", cf->heartbeat_ms);
	fprintf(fp, "dead_after_ms = %" PRIu64 "\n", cf->dead_after_ms);
	fprintf(fp, "busy_poll_us = %" PRIu64 "\n", cf->busy_poll_us);
}
