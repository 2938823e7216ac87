#!/usr/bin/env bash
# The simulator's scaling from 1 to N jobs, measured in one run: the same
# seeds with --jobs 1, then --jobs N, on the release build. Prints each run's
# wall time and events/s, the speed-up (wall time at 1 job / at N), and
# checks that both reports hold the same figures apart from timings (a
# campaign's results do not depend on its job count).
#   bash scripts/campaign_scaling.sh [SEEDS (default 20000)] [N (default: every core)]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seeds=${1:-20000}
jobs=${2:-$(nproc)}

bash scripts/install-deps.sh >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target tether-sim >/dev/null
sim=build/release/sim/tether-sim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A report's number field (the JSON is one field per line).
field() { sed -n "s/^ *\"$2\": *\([0-9.e+-]*\),\{0,1\}$/\1/p" "$1" | head -1; }
"$sim" run --seeds "$seeds" --jobs 1 --report "$out/jobs1.json" >/dev/null
"$sim" run --seeds "$seeds" --jobs "$jobs" --report "$out/jobsN.json" >/dev/null
# Timings aside, the reports must match.
strip() { grep -v -E '"(wall_s|events_per_s)"' "$1"; }
if ! diff <(strip "$out/jobs1.json") <(strip "$out/jobsN.json") >/dev/null; then
  echo "campaign_scaling.sh: the reports of 1 and $jobs jobs differ beyond their timings" >&2
  diff <(strip "$out/jobs1.json") <(strip "$out/jobsN.json") >&2 || true
  exit 1
fi
events=$(field "$out/jobs1.json" events)
wall_1=$(field "$out/jobs1.json" wall_s)
wall_n=$(field "$out/jobsN.json" wall_s)
awk -v s="$seeds" -v e="$events" -v j="$jobs" -v w1="$wall_1" -v wn="$wall_n" -v c="$(nproc)" 'BEGIN {
  printf "seeds %d, events %d: the same report with 1 and %d jobs\n", s, e, j
  printf "1 job:  %.2f s wall, %.0f events/s\n", w1, e / w1
  printf "%d jobs: %.2f s wall, %.0f events/s\n", j, wn, e / wn
  printf "speed-up: %.2fx on %d cores (nproc)\n", w1 / wn, c
}'
