/*
 * rsmadm.c - the operator's view of a node's rsmd: command line and
 * dispatch.
 *
 * The command words live in one table that drives both parsing and the
 * help text, so the two cannot drift apart.  A word may be shortened to
 * any unique prefix ("seg" for "segments"), except "segment", which
 * changes things and so is only taken spelled out.
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
	const char	*arg;		/* the command's one argument, or NULL */
	int		 exact;		/* never matched by a prefix */
	/* What -n asks the node (rsm_admin.h's list decides); 0: not -n's. */
	uint16_t	 remote;
};

/* Kept sorted: the help text and error messages list them in this order. */
static const struct token commands[] = {
	{ "controllers", ADM_CONTROLLERS,
	    "list the node's controllers and their attributes", NULL, 0,
	    RSM_MSG_LIST_CTLRS },
	{ "help", ADM_HELP, "show this text", NULL, 0, 0 },
	{ "monitor", ADM_MONITOR, "print the node's events as they happen, "
	    "until interrupted", NULL, 0, 0 },
	{ "nodes", ADM_NODES,
	    "list the peer nodes, their state and last heartbeat", NULL, 0,
	    RSM_MSG_NODES },
	{ "ping", ADM_PING, "measure the round trip to a peer node's rsmd",
	    "NODE", 0, 0 },
	/* -n: only "segment list", checked in cmd_segment.c. */
	{ "segment", ADM_SEGMENT, "create, remove, read, write or list rsmd's "
	    "own segments (see rsmadm(8))", "SUB ...", 1, RSM_MSG_LIST_SEGMENTS },
	{ "segments", ADM_SEGMENTS,
	    "list exported segments, their owners and importers", NULL, 0,
	    RSM_MSG_LIST_SEGMENTS },
	{ "stats", ADM_STATS, "show data, connect, error and peer link "
	    "counters (of one segment with SEGID)", "[SEGID]", 0,
	    RSM_MSG_STATS },
	{ "status", ADM_STATUS, "show the daemon's identity and counters",
	    NULL, 0, RSM_MSG_STATUS },
	{ NULL, ADM_NONE, NULL, NULL, 0, 0 },
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

	fprintf(f, "usage: rsmadm [-j [-p]] [-n node] [-s socket] command "
	    "[argument]\n"
	    "  -j, --json          print JSON instead of text, one compact "
	    "line\n"
	    "  -p, --pretty        with -j, indent it for reading (monitor: "
	    "still a\n"
	    "                      line per event)\n"
	    "  -n, --node NODE     ask node NODE's rsmd, through this one "
	    "(read-only\n"
	    "                      commands: status, segments, controllers, "
	    "nodes,\n"
	    "                      stats, segment list)\n"
	    "  -s, --socket PATH   rsmd's socket (default $%s, else %s)\n"
	    "commands (any unique prefix is accepted):\n",
	    RSM_SOCKET_ENV, RSM_DEFAULT_SOCKET);
	for (t = commands; t->word != NULL; t++) {
		char w[32];

		snprintf(w, sizeof(w), "%s%s%s", t->word, t->arg ? " " : "",
		    t->arg ? t->arg : "");
		fprintf(f, "  %-15s %s\n", w, t->help);
	}
	fprintf(f, "exit status: 0 success (monitor: stopped by SIGINT or "
	    "SIGTERM), 1 usage error, 2 rsmd unreachable, misbehaving or gone, "
	    "3 rsmd refused the request\n");
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
		if (!t->exact && strncmp(t->word, word, len) == 0) {
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
			if (!t->exact && strncmp(t->word, word, len) == 0)
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

static const struct token *
token_of(enum adm_action action)
{
	const struct token *t;

	for (t = commands; t->word != NULL; t++)
		if (t->action == action)
			return t;
	return t;
}

/* A node id argument: decimal, 0..RSM_NODE_ID_MAX. */
static int
parse_node(const char *s, uint32_t *node)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > RSM_NODE_ID_MAX)
		return -1;
	*node = (uint32_t)v;
	return 0;
}

static int
run(enum adm_action action, uint32_t node, const uint32_t *remote,
    const char *path, const struct adm_output *out)
{
	struct adm_conn c;
	struct rsm_msg_status st;
	struct rsm_msg_ping_reply pr;
	struct adm_segments segs = { NULL, 0, 0 };
	struct adm_ctlrs ctlrs = { NULL, 0 };
	struct adm_nodes nodes = { NULL, 0, 0 };
	int rc, wrc = 0;

	if ((rc = adm_open(&c, path)) != 0)
		return rc;
	if (remote != NULL)
		adm_remote_set(&c, *remote);
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
	case ADM_NODES:
		if ((rc = adm_get_nodes(&c, &nodes)) == 0)
			wrc = out->nodes(&nodes);
		break;
	case ADM_PING:
		if ((rc = adm_ping(&c, node, &pr)) == 0)
			wrc = out->ping(&pr);
		break;
	default:
		rc = ADM_EXIT_USAGE;
		break;
	}
	adm_close(&c);
	free(segs.seg);
	free(ctlrs.ctlr);
	free(nodes.node);
	if (rc == 0 && (wrc != 0 || fflush(stdout) != 0 || ferror(stdout))) {
		perror("rsmadm: writing output");
		rc = ADM_EXIT_USAGE;
	}
	return rc;
}

/* How many of argv getopt may see: all, or up to a "segment" command. */
static int
options_end(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-s") == 0 ||
		    strcmp(argv[i], "--socket") == 0 ||
		    strcmp(argv[i], "-n") == 0 ||
		    strcmp(argv[i], "--node") == 0) {
			i++;
			continue;
		}
		if (argv[i][0] == '-')
			continue;
		if (strcmp(argv[i], "segment") == 0)
			return i;
		/* Another command: getopt finds options anywhere. */
		break;
	}
	return argc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "node", required_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct adm_output *out = &adm_output_text;
	const char *path = NULL;
	const struct token *t;
	enum adm_action action;
	uint32_t node = 0, asked;
	const uint32_t *remote = NULL;
	int ch;

	/*
	 * Options may follow the command word, except after "segment",
	 * whose own options (--mode, ...) are not rsmadm's.
	 */
	while ((ch = getopt_long(options_end(argc, argv), argv, "hjn:ps:",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			out = &adm_output_json;
			break;
		case 'p':
			/* As ip -p: it shapes JSON only, text is unchanged. */
			adm_json_pretty(1);
			break;
		case 'n':
			if (parse_node(optarg, &asked) == -1) {
				fprintf(stderr, "rsmadm: -n: \"%s\" is not a "
				    "node id (0..%u)\n", optarg,
				    RSM_NODE_ID_MAX);
				return ADM_EXIT_USAGE;
			}
			remote = &asked;
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
	if ((action = match_command(argv[optind])) == ADM_NONE)
		return ADM_EXIT_USAGE;
	if (path == NULL)
		path = getenv(RSM_SOCKET_ENV);
	if (path == NULL || *path == '\0')
		path = RSM_DEFAULT_SOCKET;
	/* Its own words and arguments follow (cmd_segment.c). */
	t = token_of(action);
	if (action == ADM_SEGMENT)
		return adm_segment(argc - optind, argv + optind, path, remote,
		    out);
	if (remote != NULL && action != ADM_HELP &&
	    adm_remote_command(t->word, t->remote) != 0)
		return ADM_EXIT_USAGE;
	/* An optional argument (cmd_stats.c). */
	if (action == ADM_STATS)
		return adm_stats(argc - optind, argv + optind, path, remote,
		    out);
	if (action == ADM_MONITOR) {
		if (argc - optind > 1) {
			fprintf(stderr, "rsmadm: unexpected argument \"%s\" "
			    "after command\n", argv[optind + 1]);
			return ADM_EXIT_USAGE;
		}
		return adm_monitor(path, out);
	}
	if (t->arg != NULL && argc - optind < 2) {
		fprintf(stderr, "rsmadm: %s needs %s\n", t->word, t->arg);
		return ADM_EXIT_USAGE;
	}
	if (argc - optind > (t->arg != NULL ? 2 : 1)) {
		fprintf(stderr, "rsmadm: unexpected argument \"%s\" after "
		    "command\n", argv[optind + (t->arg != NULL ? 2 : 1)]);
		return ADM_EXIT_USAGE;
	}
	if (action == ADM_PING && parse_node(argv[optind + 1], &node) == -1) {
		fprintf(stderr, "rsmadm: \"%s\" is not a node id (0..%u)\n",
		    argv[optind + 1], RSM_NODE_ID_MAX);
		return ADM_EXIT_USAGE;
	}
	if (action == ADM_HELP) {
		usage(stdout);
		return ADM_EXIT_OK;
	}
	return run(action, node, remote, path, out);
}
