/*
 * rsmadm.c - the operator's view of a node's rsmd: command line and
 * dispatch.
 *
 * The command words live in one table that drives both parsing and the
 * help text, so the two cannot drift apart.  A word may be shortened to
 * any unique prefix ("seg" for "segments").
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rsmadm.h"

struct token {
	const char	*word;
	enum adm_action	 action;
	const char	*help;
};

/* Kept sorted: the help text and error messages list them in this order. */
static const struct token commands[] = {
	{ "controllers", ADM_CONTROLLERS,
	    "list the node's controllers and their attributes" },
	{ "help", ADM_HELP, "show this text" },
	{ "segments", ADM_SEGMENTS,
	    "list exported segments, their owners and importers" },
	{ "status", ADM_STATUS, "show the daemon's identity and counters" },
	{ NULL, ADM_NONE, NULL },
};

static void
list_words(FILE *f)
{
	const struct token *t;

	for (t = commands; t->word != NULL; t++)
		fprintf(f, "%s%s", t == commands ? "" : ", ", t->word);
	fputc('\n', f);
}

static void
usage(FILE *f)
{
	const struct token *t;

	fprintf(f, "usage: rsmadm [-j] [-s socket] command\n"
	    "  -j, --json          print JSON instead of text\n"
	    "  -s, --socket PATH   rsmd's socket (default $%s, else %s)\n"
	    "commands (any unique prefix is accepted):\n",
	    RSM_SOCKET_ENV, RSM_DEFAULT_SOCKET);
	for (t = commands; t->word != NULL; t++)
		fprintf(f, "  %-12s %s\n", t->word, t->help);
	fprintf(f, "exit status: 0 success, 1 usage error, 2 rsmd unreachable "
	    "or misbehaving, 3 rsmd refused the request\n");
}

/* The command a word names: exact match, else its only prefix match. */
static enum adm_action
match_command(const char *word)
{
	const struct token *t, *found = NULL;
	size_t len = strlen(word);
	int matches = 0;

	for (t = commands; t->word != NULL && len > 0; t++) {
		if (strcmp(t->word, word) == 0)
			return t->action;
		if (strncmp(t->word, word, len) == 0) {
			found = t;
			matches++;
		}
	}
	if (matches == 1)
		return found->action;
	if (matches > 1) {
		fprintf(stderr, "rsmadm: ambiguous command \"%s\": could be ",
		    word);
		for (t = commands, matches = 0; t->word != NULL; t++)
			if (strncmp(t->word, word, len) == 0)
				fprintf(stderr, "%s%s", matches++ ? ", " : "",
				    t->word);
		fputc('\n', stderr);
	} else {
		fprintf(stderr, "rsmadm: unknown command \"%s\"; valid "
		    "commands: ", word);
		list_words(stderr);
	}
	return ADM_NONE;
}

static int
run(enum adm_action action, const char *path, const struct adm_output *out)
{
	struct adm_conn c;
	struct rsm_msg_status st;
	struct adm_segments segs = { NULL, 0 };
	struct adm_ctlrs ctlrs = { NULL, 0 };
	int rc, wrc = 0;

	if ((rc = adm_open(&c, path)) != 0)
		return rc;
	switch (action) {
	case ADM_STATUS:
		if ((rc = adm_get_status(&c, &st)) == 0)
			wrc = out->status(&c.hello, &st);
		break;
	case ADM_SEGMENTS:
		if ((rc = adm_get_segments(&c, &segs)) == 0)
			wrc = out->segments(&segs);
		break;
	case ADM_CONTROLLERS:
		if ((rc = adm_get_ctlrs(&c, &ctlrs)) == 0)
			wrc = out->controllers(&ctlrs);
		break;
	default:
		rc = ADM_EXIT_USAGE;
		break;
	}
	adm_close(&c);
	free(segs.seg);
	free(ctlrs.ctlr);
	if (rc == 0 && (wrc != 0 || fflush(stdout) != 0 || ferror(stdout))) {
		perror("rsmadm: writing output");
		rc = ADM_EXIT_USAGE;
	}
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct adm_output *out = &adm_output_text;
	const char *path = NULL;
	enum adm_action action;
	int ch;

	while ((ch = getopt_long(argc, argv, "hjs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			out = &adm_output_json;
			break;
		case 's':
			if (*optarg == '\0') {
				fprintf(stderr, "rsmadm: -s needs a socket "
				    "path\n");
				return ADM_EXIT_USAGE;
			}
			path = optarg;
			break;
		case 'h':
			usage(stdout);
			return ADM_EXIT_OK;
		default:
			usage(stderr);
			return ADM_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "rsmadm: missing command\n");
		usage(stderr);
		return ADM_EXIT_USAGE;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "rsmadm: unexpected argument \"%s\" after "
		    "command\n", argv[optind + 1]);
		return ADM_EXIT_USAGE;
	}
	if ((action = match_command(argv[optind])) == ADM_NONE)
		return ADM_EXIT_USAGE;
	if (action == ADM_HELP) {
		usage(stdout);
		return ADM_EXIT_OK;
	}
	if (path == NULL)
		path = getenv(RSM_SOCKET_ENV);
	if (path == NULL || *path == '\0')
		path = RSM_DEFAULT_SOCKET;
	return run(action, path, out);
}
