/*
 * rsm_size.c - a number with an optional K, M or G (rsm_size.h).
 */
#include "rsm_size.h"

#include <errno.h>
#include <stdlib.h>

int
rsm_parse_size(const char *s, int base, uint64_t *out)
{
	unsigned long long v;
	uint64_t mult = 1;
	char *end;

	/* strtoull would skip spaces and take a sign. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	default: break;
	}
	if (*end != '\0' || v > UINT64_MAX / mult)
		return -1;
	*out = (uint64_t)v * mult;
	return 0;
}
