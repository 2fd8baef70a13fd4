/*
 * ucx_dl.c - the dlopen() table of libucp and libucs (ucx_dl.h).
 */
#include "config.h"
#include "ucx_dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { UCP, UCS };

struct sym {
	int		 lib;
	size_t		 off;
	const char	*name;
};

#define S(l, f, n)	{ l, offsetof(struct ucx_dl, f), n }
static const struct sym syms[] = {
	S(UCP, config_read, "ucp_config_read"),
	S(UCP, config_release, "ucp_config_release"),
	S(UCP, init_version, "ucp_init_version"),
	S(UCP, cleanup, "ucp_cleanup"),
	S(UCP, worker_create, "ucp_worker_create"),
	S(UCP, worker_destroy, "ucp_worker_destroy"),
	S(UCP, worker_progress, "ucp_worker_progress"),
	S(UCP, worker_get_efd, "ucp_worker_get_efd"),
	S(UCP, worker_arm, "ucp_worker_arm"),
	S(UCP, worker_fence, "ucp_worker_fence"),
	S(UCP, worker_set_am_recv_handler, "ucp_worker_set_am_recv_handler"),
	S(UCP, listener_create, "ucp_listener_create"),
	S(UCP, listener_destroy, "ucp_listener_destroy"),
	S(UCP, listener_query, "ucp_listener_query"),
	S(UCP, listener_reject, "ucp_listener_reject"),
	S(UCP, conn_request_query, "ucp_conn_request_query"),
	S(UCP, ep_create, "ucp_ep_create"),
	S(UCP, ep_close_nbx, "ucp_ep_close_nbx"),
	S(UCP, ep_flush_nbx, "ucp_ep_flush_nbx"),
	S(UCP, mem_map, "ucp_mem_map"),
	S(UCP, mem_unmap, "ucp_mem_unmap"),
	S(UCP, rkey_pack, "ucp_rkey_pack"),
	S(UCP, rkey_buffer_release, "ucp_rkey_buffer_release"),
	S(UCP, ep_rkey_unpack, "ucp_ep_rkey_unpack"),
	S(UCP, rkey_destroy, "ucp_rkey_destroy"),
	S(UCP, put_nbx, "ucp_put_nbx"),
	S(UCP, get_nbx, "ucp_get_nbx"),
	S(UCP, am_send_nbx, "ucp_am_send_nbx"),
	S(UCP, request_check_status, "ucp_request_check_status"),
	S(UCP, request_free, "ucp_request_free"),
	S(UCP, context_print_info, "ucp_context_print_info"),
	S(UCS, status_string, "ucs_status_string"),
};
#undef S

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static struct ucx_dl table;
static const struct ucx_dl *loaded;
static const char *load_why = "UCX not loaded";

static void
load(void)
{
	/* libucs first: libucp needs it, and ucs_status_string is there. */
	static const char *const libname[] = { "libucp.so.0", "libucs.so.0" };
	void *lib[2];
	size_t i;

	for (i = 0; i < 2; i++) {
		if ((lib[i] = dlopen(libname[i], RTLD_NOW | RTLD_LOCAL)) ==
		    NULL) {
			load_why = i == 0 ? "libucp.so.0 not found" :
			    "libucs.so.0 not found";
			return;
		}
	}
	for (i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *p = dlsym(lib[syms[i].lib], syms[i].name);

		if (p == NULL) {
			load_why = "a UCX library lacks a needed function";
			return;
		}
		/* POSIX guarantees object and function pointers convert. */
		memcpy((char *)&table + syms[i].off, &p, sizeof(p));
	}
	loaded = &table;
	load_why = NULL;
}

const struct ucx_dl *
ucx_dl_open(void)
{
	/* A test can pretend UCX is not installed. */
	const char *off = getenv("RSM_UCX_DISABLE");

	if (off != NULL && *off != '\0' && strcmp(off, "0") != 0) {
		load_why = "disabled by RSM_UCX_DISABLE";
		return NULL;
	}
	(void)pthread_once(&load_once, load);
	return loaded;
}

const char *
ucx_dl_why(void)
{
	return load_why != NULL ? load_why : "loaded";
}

ucs_status_t
ucx_dl_init(const struct ucx_dl *u, const ucp_params_t *params,
    const ucp_config_t *config, ucp_context_h *context_p)
{
	return u->init_version(UCP_API_MAJOR, UCP_API_MINOR, params, config,
	    context_p);
}

/*
 * ucp_context_print_info() lists a "resource" line per transport and
 * device it selected ("... flags -- tcp/eth0"); keep the tl/dev words.
 */
void
ucx_dl_describe(const struct ucx_dl *u, ucp_context_h ctx, char *buf,
    size_t len)
{
	char *text = NULL, *line, *save = NULL, *w;
	size_t tlen = 0, used = 0;
	FILE *f;

	if (len == 0)
		return;
	buf[0] = '\0';
	if ((f = open_memstream(&text, &tlen)) == NULL)
		return;
	u->context_print_info(ctx, f);
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		return;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "resource") == NULL ||
		    (w = strstr(line, "-- ")) == NULL)
			continue;
		w += 3;
		w[strcspn(w, " \t")] = '\0';
		if (strncmp(w, "self/", 5) == 0 || *w == '\0')
			continue;
		if (used + strlen(w) + 2 > len)
			break;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    used ? " " : "", w);
	}
	free(text);
}
