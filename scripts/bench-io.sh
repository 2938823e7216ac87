#!/usr/bin/env bash
# io benchmarks (release build): the SSE parser, then tether-watch against a
# real nginx + nchan next to the Node `eventsource` client (npm, installed into
# build/release/npm) and `curl -N`, in one run. Extra arguments go to the
# end-to-end benchmark (e.g. --benchmark_filter=backlog).
#   TETHER_BENCH_RSS_MESSAGES=1000000 (default) sets the live-stream length.
#   TETHER_BENCH_BASELINE_WATCH=PATH also runs the backlog through another
#   tether-watch build (e.g. an earlier commit's release build), in the same
#   run, for a before/after ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target tether_io_bench tether_io_e2e_bench tether-watch

node_dir=build/release/npm
if [[ ! -d "$node_dir/node_modules/eventsource" ]]; then
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm install --no-audit --no-fund eventsource@5 >/dev/null)
fi

build/release/tests/bench/tether_io_bench
TETHER_BENCH_NODE_DIR="$PWD/$node_dir" build/release/tests/bench/tether_io_e2e_bench "$@"
