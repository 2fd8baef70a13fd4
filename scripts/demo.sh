#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs the demo:
# installs packages, builds, starts a private rsmd and lets two processes
# share a segment, each printing what it exchanged with the other.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
"$top/scripts/install-deps.sh"
"$top/scripts/build.sh" "$top/build"
exec "$top/examples/run-demo.sh" "$top/build"
