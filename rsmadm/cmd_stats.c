/*
 * cmd_stats.c - "rsmadm stats [SEGID]": what rsmd counted for the node,
 * its segments and their imports, and its peer daemons; with SEGID, that
 * one segment and its imports.  The daemon decides what the asker may
 * see (root and rsmd's own uid: everything; others: their own; another
 * node's operator, with -n: the node's and peers' totals).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsmadm.h"

/* A segment id: C style (0x hex, 0 octal, else decimal), 1..2^32-1. */
static int
parse_segid(const char *s, uint32_t *id)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v == 0 || v > UINT32_MAX)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

int
adm_stats(int argc, char *argv[], const char *path, const uint32_t *node,
    const struct adm_output *out)
{
	struct adm_stats st = { NULL, 0, 0, 0 };
	struct adm_conn c;
	uint32_t flags = 0, segid = 0;
	int rc, wrc = 0;

	if (argc > 2) {
		fprintf(stderr, "rsmadm: unexpected argument \"%s\" after "
		    "stats SEGID\n", argv[2]);
		return ADM_EXIT_USAGE;
	}
	if (argc == 2) {
		if (parse_segid(argv[1], &segid) == -1) {
			fprintf(stderr, "rsmadm: stats: \"%s\" is not a "
			    "segment id (1..0xffffffff)\n", argv[1]);
			return ADM_EXIT_USAGE;
		}
		flags = RSM_STATSF_SEGID;
	}
	if ((rc = adm_open(&c, path)) != 0)
		return rc;
	if (node != NULL)
		adm_remote_set(&c, *node);
	if ((rc = adm_get_stats(&c, flags, segid, &st)) == 0)
		wrc = out->stats(&st);
	adm_close(&c);
	free(st.e);
	if (rc == 0 && (wrc != 0 || fflush(stdout) != 0 || ferror(stdout))) {
		perror("rsmadm: writing output");
		rc = ADM_EXIT_USAGE;
	}
	return rc;
}
