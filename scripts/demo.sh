#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs the demo:
# installs packages, builds, then starts two private rsm nodes on this
# machine (rsmd 1 and 2, peers over 127.0.0.1, no root) and lets a process
# on node 2 import a segment of a process on node 1 through tcp0, each side
# printing what it exchanged with the other.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build"
exec "$top/examples/run-demo.sh" "$top/build"
