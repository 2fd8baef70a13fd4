/*
 * rsmerr.h - symbolic names of RSMAPI return codes, for messages.
 * Shared by rsmadm, the demo and the benchmark, which all print errors by
 * name so an operator can look them up in rsmapi.h and the man pages.
 */
#ifndef RSMADM_RSMERR_H
#define RSMADM_RSMERR_H

/* "RSMERR_PERM_DENIED" for 27; "RSMERR_<n>" style text for unknown codes. */
const char *rsm_err_name(int code);

#endif /* RSMADM_RSMERR_H */
