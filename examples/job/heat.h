/*
 * heat.h - the arithmetic of the 2-D heat stencils (stencil.c, with
 * halos by put, and stencil_map.c, by stores through remote maps): one
 * copy, so that both grids, and the one-process reference each checks
 * against, compute every point with the same expression and agree
 * bitwise.
 */
#ifndef RSM_EXAMPLE_HEAT_H
#define RSM_EXAMPLE_HEAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* One Jacobi step of rows 1..rows of src (w doubles a row) into dst. */
static inline void
heat_step(double *dst, const double *src, size_t rows, size_t w)
{
	size_t y, x;

	for (y = 1; y <= rows; y++)
		for (x = 1; x + 1 < w; x++)
			dst[y * w + x] = 0.25 * (src[(y - 1) * w + x] +
			    src[(y + 1) * w + x] + src[y * w + x - 1] +
			    src[y * w + x + 1]);
}

/* The first interior row of rank r of nranks (ny rows) and its count. */
static inline void
heat_band(uint32_t r, uint32_t nranks, size_t ny, size_t *first, size_t *n)
{
	*first = 1 + ny * r / nranks;
	*n = ny * (r + 1) / nranks - ny * r / nranks;
}

/* The fixed border: the top row 1.0, everything else 0.0. */
static inline void
heat_border(double *g, size_t rows, size_t w)
{
	size_t x;

	memset(g, 0, rows * w * sizeof(*g));
	for (x = 0; x < w; x++)
		g[x] = 1.0;
}

#endif /* RSM_EXAMPLE_HEAT_H */
