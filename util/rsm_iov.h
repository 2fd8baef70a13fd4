/*
 * rsm_iov.h - iovec arithmetic for partial readv/writev.
 */
#ifndef RSM_IOV_H
#define RSM_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/*
 * Drop the first `skip` bytes of the array iov[0..*niov): entries wholly
 * consumed are removed (the rest move down), the first one left starts
 * `skip` bytes later; *niov becomes the new count.
 */
void	 rsm_iov_skip(struct iovec *iov, int *niov, size_t skip);

#endif /* RSM_IOV_H */
