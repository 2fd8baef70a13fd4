/*
 * probe_atomic.h - the commands of remote_probe for <rsm/rsm_atomic.h>
 * (probe_atomic.c); each prints one answer line when it takes the command.
 */
#ifndef RSM_PROBE_ATOMIC_H
#define RSM_PROBE_ATOMIC_H

#include <stddef.h>

#include "rsmapi.h"

/* 1 when cmd was one of the importer's atomic commands (answered). */
int	probe_atomic_import(rsm_memseg_import_handle_t h, const char *cmd,
	    const char *rest);
/* 1 when cmd was one of the exporter's (answered). */
int	probe_atomic_export(rsm_memseg_export_handle_t h, char *mem,
	    size_t size, const char *cmd, const char *rest);

#endif /* RSM_PROBE_ATOMIC_H */
