/*
 * rsm_iov.c - iovec arithmetic (see rsm_iov.h).
 */
#include "rsm_iov.h"

void
rsm_iov_skip(struct iovec *iov, int *niov, size_t skip)
{
	int i = 0, j;

	while (i < *niov && skip >= iov[i].iov_len) {
		skip -= iov[i].iov_len;
		i++;
	}
	if (i < *niov) {
		iov[i].iov_base = (char *)iov[i].iov_base + skip;
		iov[i].iov_len -= skip;
	}
	for (j = 0; i < *niov; i++, j++)
		iov[j] = iov[i];
	*niov = j;
}
