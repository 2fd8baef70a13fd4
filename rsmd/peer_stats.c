/*
 * peer_stats.c - one peer daemon's counters for STATS: frames and bytes
 * both ways, TCP's retransmissions on the current link, and the round
 * trips of the latest RTT probes and pings (stats.h).
 */
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "peer_int.h"

/* Segments TCP sent again on this link, from TCP_INFO; 0 if unknown. */
static uint64_t
retransmits(const struct pconn *pc)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (pc == NULL)
		return 0;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(pc->io.fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1 ||
	    len < offsetof(struct tcp_info, tcpi_total_retrans) +
	    sizeof(ti.tcpi_total_retrans))
		return 0;
	return ti.tcpi_total_retrans;
}

void
peer_stats(const struct rsmd *rs, size_t i, struct rsm_msg_stats *st)
{
	const struct peer *peer = &rs->peers->peer[i];
	struct rsm_msg_nodeinfo ni;
	uint64_t pct[4];

	memset(st, 0, sizeof(*st));
	peer_info(rs, i, &ni);
	st->kind = RSM_STATS_PEER;
	st->node = peer->node_id;
	st->state = ni.state;
	st->frames_tx = peer->stats.frames_tx;
	st->frames_rx = peer->stats.frames_rx;
	st->bytes_tx = peer->stats.bytes_tx;
	st->bytes_rx = peer->stats.bytes_rx;
	st->retransmits = retransmits(peer->link);
	st->rtt_samples = stats_rtt_percentiles(&peer->stats.rtt, pct);
	st->rtt_p50_us = pct[0];
	st->rtt_p90_us = pct[1];
	st->rtt_p99_us = pct[2];
	st->rtt_max_us = pct[3];
}
