#!/usr/bin/env bash
# The simulator's mutation score (issue 11, "As strict as the property tests"):
# how many one-line mutants of model/src/*.cpp the simulator alone kills — the
# swarm campaign (tether-sim run) plus the sim tests without the mutation
# check (tether_sim_tests "~[mutation]") — never the model tests.
#
#   scripts/mutation_score.sh [--seeds N] [--only NAME] [--list FILE] [--jobs J] [--commit REV]
#
# The mutants are listed in scripts/mutants/model.txt (one per line: name @@
# file @@ literal text @@ replacement). The committed tree (HEAD, or REV) is
# exported to build/mutants/src once per commit and built there (preset dev, targets
# tether_sim_tests and tether-sim, -j2); the working tree is never touched.
# For each mutant: apply it to the export, rebuild, run the campaign (exit 1 on
# any violation), then the sim tests (stopping at the first failure); either
# failing kills the mutant. The file is restored after each mutant (a fresh
# mtime, so the next build recompiles it). A mutant that does not build is
# reported as such and left out of the score. Results go to
# build/mutants/results.txt, one line per mutant, and a summary at the end.
#
# Slow: about a minute or two per mutant on a 2-core machine (not in ctest).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
list="$root/scripts/mutants/model.txt"
seeds=2000
only=""
rev=HEAD
jobs=2
campaign_timeout_s=600
tests_timeout_s=1800

while [[ $# -gt 0 ]]; do
  case "$1" in
    --seeds) seeds="$2"; shift 2 ;;
    --only) only="$2"; shift 2 ;;
    --list) list="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --commit) rev="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

work="$root/build/mutants"
src="$work/src"
commit="$(git -C "$root" rev-parse "$rev^{commit}")"
mkdir -p "$work"

# --- the export: the committed tree, once per commit ------------------------
if [[ ! -f "$work/src.commit" || "$(cat "$work/src.commit")" != "$commit" ]]; then
  echo "exporting $commit to $src"
  rm -rf "$src"
  mkdir -p "$src"
  git -C "$root" archive "$commit" | tar -x -C "$src"
  echo "$commit" > "$work/src.commit"
fi

build() {
  (cd "$src" && cmake --preset dev > "$work/configure.log" 2>&1 &&
    cmake --build --preset dev -j"$jobs" --target tether_sim_tests tether-sim > "$work/build.log" 2>&1)
}
sim="$src/build/dev/sim/tether-sim"
tests="$src/build/dev/tests/tether_sim_tests"

echo "building the unmutated export (baseline)"
build || { echo "the unmutated tree does not build: see $work/build.log" >&2; exit 1; }
"$sim" run --seeds "$seeds" > "$work/baseline.log" 2>&1 ||
  { echo "the unmutated campaign fails: see $work/baseline.log" >&2; exit 1; }
# Stop the campaign at the first failing seed where tether-sim can.
fail_fast=()
if "$sim" run --help 2>&1 | grep -q -- --fail-fast; then fail_fast=(--fail-fast); fi

# --- applying and restoring one mutant (literal text, exactly once) ----------
apply() {  # file text replacement
  python3 - "$1" "$2" "$3" <<'PY'
import sys
path, text, replacement = sys.argv[1:4]
with open(path) as f:
    body = f.read()
n = body.count(text)
if n != 1:
    sys.exit(f"{path}: the text occurs {n} times, expected once: {text}")
with open(path, "w") as f:
    f.write(body.replace(text, replacement))
PY
}

# An interrupted run leaves no mutant behind in the export.
applied=""
trap '[[ -n "$applied" ]] && cp "$work/original" "$applied"' EXIT

results="$work/results.txt"
: > "$results"
total=0 killed=0 unbuilt=0
survivors=()

# The list comes in on fd 3: the builds and runs below must not eat it.
while IFS= read -r line <&3 || [[ -n "$line" ]]; do
  [[ -z "${line// }" || "$line" == \#* ]] && continue
  # Fields are separated by " @@ "; the text keeps its own spaces.
  name="${line%% @@ *}"; rest="${line#* @@ }"
  file="${rest%% @@ *}"; rest="${rest#* @@ }"
  text="${rest%% @@ *}"; replacement="${rest#* @@ }"
  [[ -n "$only" && "$name" != "$only" ]] && continue

  target="$src/$file"
  cp "$target" "$work/original"
  applied="$target"
  apply "$target" "$text" "$replacement"
  start=$(date +%s)
  verdict=""
  if ! build; then
    verdict="did-not-build"
  else
    set +e
    timeout "$campaign_timeout_s" "$sim" run --seeds "$seeds" "${fail_fast[@]}" > "$work/campaign.log" 2>&1
    rc=$?
    set -e
    if [[ $rc -eq 124 ]]; then
      verdict="killed (campaign timed out after ${campaign_timeout_s} s)"
    elif [[ $rc -ne 0 ]]; then
      broken="$(awk '/^violations/ { for (i = 2; i <= NF; i++) if ($i !~ /:0$/) printf "%s ", $i }' "$work/campaign.log")"
      first="$(grep -m1 -o 'FAILED seed [0-9]*' "$work/campaign.log" | grep -o '[0-9]*$' || true)"
      verdict="killed (campaign seed ${first:-?}: ${broken:-exit $rc})"
    else
      set +e
      timeout "$tests_timeout_s" "$tests" "~[mutation]~[.]" --abort > "$work/tests.log" 2>&1
      rc=$?
      set -e
      if [[ $rc -ne 0 ]]; then
        # The failing test case: the first line of the dashed header before FAILED.
        failed="$(awk '/^-----+$/ { inside = !inside; if (inside) name = ""; next } inside && name == "" { name = $0 } /FAILED/ { print name; exit }' \
          "$work/tests.log")"
        verdict="killed (sim tests, exit $rc: ${failed:-see tests.log})"
      else
        verdict="SURVIVED"
      fi
    fi
  fi
  cp "$work/original" "$target"  # a new mtime: the next build recompiles it
  applied=""
  elapsed=$(( $(date +%s) - start ))
  printf '%-44s %s (%d s)\n' "$name" "$verdict" "$elapsed" | tee -a "$results"
  case "$verdict" in
    did-not-build) unbuilt=$((unbuilt + 1)) ;;
    killed*) total=$((total + 1)); killed=$((killed + 1)) ;;
    *) total=$((total + 1)); survivors+=("$name") ;;
  esac
done 3< "$list"

# Leave the export built unmutated.
build || true

echo
if [[ $total -gt 0 ]]; then
  summary="$(awk -v k="$killed" -v t="$total" 'BEGIN { printf "killed %d of %d mutants (%.1f %%)", k, t, 100 * k / t }')"
else
  summary="no mutant ran"
fi
echo "$summary; $unbuilt did not build; campaign: tether-sim run --seeds $seeds; commit $commit" | tee -a "$results"
for s in "${survivors[@]}"; do echo "survived: $s" | tee -a "$results"; done
