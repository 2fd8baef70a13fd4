#!/usr/bin/env bash
# test_soak.sh - make check's soak run: 200 faults on 4 nodes (soak.sh),
# a random seed each time (printed; SOAK_SEED= reproduces it).  Skipped
# (77) with RSM_SKIP_SOAK=1, as scripts/check.sh sets for the sanitizer
# pass and distcheck, and without root or ip netns.
if [ "${RSM_SKIP_SOAK:-0}" = 1 ]; then
	echo "SKIP: RSM_SKIP_SOAK=1"
	exit 77
fi
src=${RSM_TEST_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
export SOAK_MAN=${SOAK_MAN:-$src/../man}
exec bash "$src/soak/soak.sh" -f "${FAULTS:-200}" -n "${SOAK_NODES:-4}"
