#!/usr/bin/env bash
# Builds the release configuration and runs the main job: a simulation campaign
# of 10,000 swarm scenarios (`tether-sim run`; arguments pass through, e.g.
# `--json`, `--seeds 1000`, `--shard 0/2`). The scripted-outage demo is still built and runs with
#   build/release/sim/tether-demo
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
# Default campaign size unless the arguments choose one.
if [[ " $* " != *" --seeds"* ]]; then
  set -- --seeds 10000 "$@"
fi
exec build/release/sim/tether-sim run "$@"
