#!/usr/bin/env bash
# Builds the release preset and runs the model benchmark: median of 5
# repetitions, allocations per event as a counter. Extra arguments go to the
# benchmark (e.g. --benchmark_filter=in_place).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target tether_model_bench
exec build/release/tests/bench/tether_model_bench \
  --benchmark_repetitions=5 --benchmark_report_aggregates_only=true "$@"
