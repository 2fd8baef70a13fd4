/*
 * transport.c - pick a transport's ops table by controller type.
 */
#include "transport.h"

#include <ctype.h>
#include <string.h>

static const struct {
	const char *type;
	const struct rsm_transport_ops *ops;
} xport_table[] = {
	{ "loopback",	&rsm_shm_ops },
	{ "shm",	&rsm_shm_ops },
	{ "tcp",	&rsm_tcp_ops },
	/* Not built yet: the daemon refuses these controllers. */
	{ "verbs",	&rsm_dummy_ops },
};

const struct rsm_transport_ops *
rsm_transport_lookup(const char *ctlr_name)
{
	size_t len, i;

	if (ctlr_name == NULL)
		return NULL;
	len = strlen(ctlr_name);
	while (len > 0 && isdigit((unsigned char)ctlr_name[len - 1]))
		len--;
	for (i = 0; i < sizeof(xport_table) / sizeof(xport_table[0]); i++) {
		if (strlen(xport_table[i].type) == len &&
		    strncmp(xport_table[i].type, ctlr_name, len) == 0)
			return xport_table[i].ops;
	}
	return NULL;
}
