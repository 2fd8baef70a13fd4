#!/usr/bin/env bash
# test_scale.sh - make check's scale run: scale.sh on $SCALE_NODES (24)
# nodes with short idle intervals and a 3 s peer_idle_timeout, so that
# it checks the ring's and the all-to-one's data, few links in an idle
# on-demand cluster and their closing, in well under a minute.  Skipped
# (77) without root or ip netns.
src=${RSM_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
export SCALE_IDLE_S=${SCALE_IDLE_S:-2} SCALE_LAT_COUNT=${SCALE_LAT_COUNT:-10} \
    SCALE_LAT_ROUNDS=${SCALE_LAT_ROUNDS:-2} \
    SCALE_CONF=${SCALE_CONF-peer_idle_timeout = 3}
exec bash "$src/scale/scale.sh" -n "${SCALE_NODES:-24}"
