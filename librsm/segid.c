/*
 * segid.c - rsm_get_segmentid_range: look an application up in the
 * segment-id reservation file ($RSM_SEGMENTID_FILE, else
 * /etc/rsm/rsm.segmentid).
 *
 * Format (spec 3.8): one entry per line, "reserved <appid> <hex base>
 * <decimal length>", whitespace separated; a line whose first non-blank
 * character is '#' is a comment.  Lines are read in order and the first
 * entry for the appid decides; a malformed line met before it (fewer than
 * four fields, blank, wrong keyword, bad numbers) fails the lookup with
 * RSMERR_BAD_CONF, as illumos does.
 */
#include "rsm_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEGID_FILE_DEFAULT	"/etc/rsm/rsm.segmentid"
#define SEGID_FILE_ENV		"RSM_SEGMENTID_FILE"

static int
parse_u32(const char *s, int base, uint32_t *out)
{
	unsigned long long v;
	char *end;

	if (*s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || end == s || *end != '\0' || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* 1: entry for appid (filled), 0: other entry, -1: malformed. */
static int
parse_line(char *line, const char *appid, uint32_t *base, uint32_t *len)
{
	char *f[4], *save = NULL, *tok;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok != NULL && n < 4;
	    tok = strtok_r(NULL, " \t\r\n", &save))
		f[n++] = tok;
	if (n < 4 || strcasecmp(f[0], "reserved") != 0)
		return -1;
	if (parse_u32(f[2], 16, base) != 0 || parse_u32(f[3], 10, len) != 0)
		return -1;
	return strcasecmp(f[1], appid) == 0 ? 1 : 0;
}

int
rsm_get_segmentid_range(const char *appid, rsm_memseg_id_t *baseid,
    uint32_t *length)
{
	const char *path = getenv(SEGID_FILE_ENV);
	char *line = NULL;
	size_t cap = 0;
	FILE *f;
	int rc = RSMERR_BAD_APPID;

	if (appid == NULL || baseid == NULL || length == NULL)
		return RSMERR_BAD_ADDR;
	if (path == NULL || *path == '\0')
		path = SEGID_FILE_DEFAULT;
	if ((f = fopen(path, "re")) == NULL)
		return RSMERR_BAD_CONF;
	while (getline(&line, &cap, f) >= 0) {
		char *s = line;
		uint32_t b, l;
		int r;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '#')
			continue;
		r = parse_line(s, appid, &b, &l);
		if (r < 0) {
			rc = RSMERR_BAD_CONF;
			break;
		}
		if (r == 1) {
			*baseid = b;
			*length = l;
			rc = RSM_SUCCESS;
			break;
		}
	}
	if (ferror(f))
		rc = RSMERR_BAD_CONF;
	free(line);
	fclose(f);
	return rc;
}
