/*
 * probe_map.h - remote_probe's commands for a mapped import
 * (probe_map.c), and the pattern helpers of remote_probe.c they share.
 */
#ifndef RSM_PROBE_MAP_H
#define RSM_PROBE_MAP_H

#include <stdint.h>

#include "rsmapi.h"

/* 1 when cmd was one of the mapping commands (answered). */
int	 probe_map_import(rsm_memseg_import_handle_t h, rsmapi_barrier_t *bar,
	    const char *cmd, const char *rest);

/* remote_probe.c: the pattern of seed at absolute offsets, and FNV-1a. */
void	 probe_fill(char *p, uint64_t off, uint64_t len, uint64_t seed);
uint64_t probe_sum(const char *p, uint64_t len);

#endif /* RSM_PROBE_MAP_H */
