#!/usr/bin/env bash
# The herd plots of docs/simulation.md ("Herd plot"): 1,000 clients of two
# presets, aviso (full jitter) and koprs (no jitter), behind one 3 s server
# outage, world seed 1, drawn as docs/herd-aviso.svg and docs/herd-koprs.svg
# (their JSON in build/herd/). Prints each command and what it printed: the
# figures the doc quotes.
#
#   scripts/herd_plots.sh [BUILD_DIR]    (default build/dev; tether-sim is built there)
#
# tether-sim herd exits 1 for koprs (flagged as a herd: what the plot shows)
# and 0 for aviso; any other exit code fails the script.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$root/build/dev}"
sim="$build/sim/tether-sim"
if [[ ! -x "$sim" ]]; then
  echo "herd_plots.sh: $sim not found: cmake --build --preset dev --target tether-sim" >&2
  exit 2
fi
mkdir -p "$root/build/herd"

plot() {
  local preset="$1" expected_exit="$2"
  local args=(herd --preset "$preset" --clients 1000 --outage-ms 3000 --seed 1
              --json "build/herd/$preset.json" --svg "docs/herd-$preset.svg")
  echo "\$ tether-sim ${args[*]}"
  local code=0
  (cd "$root" && "$sim" "${args[@]}" 2>&1) || code=$?
  if [[ "$code" != "$expected_exit" ]]; then
    echo "herd_plots.sh: tether-sim herd --preset $preset: exit $code, expected $expected_exit" >&2
    exit 1
  fi
  echo "(exit $code)"
}

plot aviso 0
plot koprs 1
