/*
 * fuzz_config.c - libFuzzer target for rsmd's configuration parser,
 * rsmd/config.c itself: the input is an rsmd.conf, written to a memfd and
 * loaded by its path (/proc/self/fd/N) with config_load, as rsmd -n -c
 * loads a file.  config_free after every load lets LeakSanitizer see
 * anything the parser keeps.
 *
 * What must hold:
 *  - config_load fails exactly when it reported an error, and every
 *    message starts with the file's name, "FILE:LINE: " naming a line the
 *    file has;
 *  - a file that loads prints (config_print) as a file that loads again
 *    and prints the very same.
 *
 * A line too long for inih's INI_MAX_LINE buffer, or holding a NUL byte,
 * is an error of its own line.  The one limit left: a value that fits
 * its line as written ("key=value") may not fit once printed with blanks
 * around the "=", so the round trip is only judged for printed files
 * whose lines all fit.
 *
 * rsmd's log and fatal are replaced here: messages are formatted, so
 * their arguments are read, and checked, but not written.
 */
#define _GNU_SOURCE
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rsmd.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int conf_fd = -1;
static char conf_path[64];
static size_t conf_lines;	/* lines of the file loaded now */
static int lines_judged;	/* whether line numbers are checked */
static int nerrors, nwarnings;

static void
check_message(const char *fmt, va_list ap)
{
	char msg[2048];
	size_t plen = strlen(conf_path);
	unsigned long line;
	char *end;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/*
	 * Every message names the file first: this one, or the peers_file
	 * it names (an absolute path; the goldens judge those lines).
	 */
	if (msg[0] == '/' && strncmp(msg, conf_path, plen) != 0)
		return;
	if (strncmp(msg, conf_path, plen) != 0 || msg[plen] != ':')
		abort();
	if (msg[plen + 1] == ' ' || !lines_judged)
		return;
	line = strtoul(msg + plen + 1, &end, 10);
	if (end == msg + plen + 1 || *end != ':' || line < 1 ||
	    line > conf_lines)
		abort();
}

void
log_errx(const char *fmt, ...)
{
	va_list ap;

	nerrors++;
	va_start(ap, fmt);
	check_message(fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	nwarnings++;
	va_start(ap, fmt);
	check_message(fmt, ap);
	va_end(ap);
}

/*
 * Unused by config.c today; formatted all the same should that change,
 * so their arguments are read.
 */
static void
format_only(const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
}

#define FORMAT_ONLY(name)			\
void						\
name(const char *fmt, ...)			\
{						\
	va_list ap;				\
						\
	va_start(ap, fmt);			\
	format_only(fmt, ap);			\
	va_end(ap);				\
}

FORMAT_ONLY(log_warn)
FORMAT_ONLY(log_info)
FORMAT_ONLY(log_debug)

/* Only when memory runs out: not what is fuzzed. */
void
fatal(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

void
fatalx(const char *fmt, ...)
{
	(void)fmt;
	abort();
}

/* Make the memfd hold exactly these bytes. */
static int
put_file(const void *p, size_t n)
{
	const char *s = p;
	size_t i;

	if (ftruncate(conf_fd, 0) != 0 ||
	    (n > 0 && pwrite(conf_fd, p, n, 0) != (ssize_t)n))
		return -1;
	/* Lines as config.c counts them: each '\n', and an unended last. */
	conf_lines = 0;
	for (i = 0; i < n; i++)
		if (s[i] == '\n')
			conf_lines++;
	if (n > 0 && s[n - 1] != '\n')
		conf_lines++;
	return 0;
}

/*
 * Whether a line (its newline counted, or one more byte for an unended
 * last line) does not fit what config.c's reader hands inih: the line,
 * its newline and the NUL in INI_MAX_LINE bytes.
 */
static int
has_long_line(const char *s, size_t n)
{
	size_t start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '\n') {
			if (i - start + 2 > INI_MAX_LINE)
				return 1;
			start = i + 1;
		}
	}
	return 0;
}

/* Load the memfd; its printed form (malloc'd, *len) or NULL. */
static char *
load_print(size_t *len, int *rc)
{
	struct rsmd_config cf;
	char *text = NULL;
	FILE *fp;

	nerrors = nwarnings = 0;
	*rc = config_load(conf_path, &cf, 0, NULL);
	if (*rc != 0) {
		/* Failed: said why, and kept nothing (config_free ran). */
		if (*rc != -1 || nerrors == 0)
			abort();
		return NULL;
	}
	if (nerrors != 0 || nwarnings != 0)
		abort();
	if ((fp = open_memstream(&text, len)) == NULL)
		abort();
	config_print(&cf, fp);
	if (fclose(fp) != 0)
		abort();
	config_free(&cf);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *first, *again;
	size_t flen, alen;
	int rc;

	if (conf_fd < 0) {
		if ((conf_fd = memfd_create("rsmd.conf", MFD_CLOEXEC)) < 0)
			abort();
		snprintf(conf_path, sizeof(conf_path), "/proc/self/fd/%d",
		    conf_fd);
	}
	lines_judged = 1;
	if (put_file(data, size) != 0)
		abort();
	if ((first = load_print(&flen, &rc)) == NULL)
		return 0;

	/* The printed file means the same: it loads and prints the same. */
	if (!has_long_line(first, flen)) {
		if (memchr(first, '\0', flen) != NULL)
			abort();
		lines_judged = 1;
		if (put_file(first, flen) != 0)
			abort();
		if ((again = load_print(&alen, &rc)) == NULL)
			abort();
		if (alen != flen || memcmp(first, again, flen) != 0)
			abort();
		free(again);
	}
	free(first);
	return 0;
}
