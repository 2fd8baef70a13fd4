/*
 * unix_baseline.h - the plain-socket side of rsm_perf's connect rate:
 * request/reply round trips over AF_UNIX SOCK_SEQPACKET from a number of
 * processes to one server process that serves them all from one epoll
 * loop, as rsmd serves its clients, with the bytes of a connect request
 * and its reply but without the protocol, the registry, the descriptor
 * and the library.  A round trip is the least a connect through a daemon
 * can cost, so the ratio says how close connect + disconnect come to it.
 */
#ifndef RSM_UNIX_BASELINE_H
#define RSM_UNIX_BASELINE_H

/*
 * Round trips per second of nproc processes (at most 64) running for ms
 * milliseconds at once: their total over the longest one's time, as the
 * connect rate is counted.  0, or -1 with errno when it could not run.
 */
int	 unixb_rate(int nproc, int ms, double *rate);

#endif /* RSM_UNIX_BASELINE_H */
