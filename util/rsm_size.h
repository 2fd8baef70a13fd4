/*
 * rsm_size.h - sizes as people write them: a number and an optional K,
 * M or G (binary multiples), for rsmd.conf, rsmadm and RSM_MAP_CACHE.
 */
#ifndef RSM_SIZE_H
#define RSM_SIZE_H

#include <stdint.h>

/*
 * s: digits in `base` (as strtoull takes it: 0 also reads 0x and 0
 * prefixes), then at most one K, M or G in either case; no sign, space,
 * other suffix or overflow.  0 with *out set, or -1.
 */
int	rsm_parse_size(const char *s, int base, uint64_t *out);

#endif /* RSM_SIZE_H */
