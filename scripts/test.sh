#!/usr/bin/env bash
# The full check, as CI runs it (.ci/run):
#   0. every tracked .cpp/.hpp is formatted as .clang-format says
#      (scripts/format.sh --check, clang-format-16);
#   1. dev preset (RelWithDebInfo, -Werror): build everything, run every ctest
#      (including the integration tests against real nginx + nchan servers they
#      start themselves, and the simulator: the mutation check, and a 10,000-scenario swarm
#      campaign in two shards plus a determinism sample, labels sim;campaign);
#   2. asan preset (clang-16, ASan + UBSan, libFuzzer): model and io tests,
#      fuzz-corpus replays, a bounded fuzz run from the committed corpus, and a
#      200-seed simulator shard (label sim-sanitized);
#   3. tsan preset (ThreadSanitizer): the integration tests of the Asio runners
#      (Runner, PollRunner, WaitRunner) against their loopback servers (label
#      nats is left out for now: docs/nats.md);
#   4. docs/state-diagram.mmd matches what the code generates.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "dependencies"
bash scripts/install-deps.sh

step "house: formatting (clang-format-16, .clang-format)"
bash scripts/format.sh --check

step "dev: configure, build, test"
cmake --preset dev
cmake --build --preset dev
ctest --preset dev --output-on-failure --parallel 2
# The campaign's summaries (scenarios, reducer events, coverage), from ctest's log.
grep -h '^campaign seeds' build/dev/Testing/Temporary/LastTest.log || true

step "asan: configure, build, test (labels model, io, sim-sanitized, fuzz)"
# The asan build was made with g++ before it moved to clang-16; CMake cannot
# switch an existing build directory's compiler, so an old one starts afresh.
if [[ -f build/asan/CMakeCache.txt ]] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang++-16' build/asan/CMakeCache.txt; then
  rm -rf build/asan
fi
cmake --preset asan
cmake --build --preset asan
ctest --preset asan --output-on-failure --parallel 2  # labels model, io, sim-sanitized, fuzz (the preset's filter)

step "tsan: configure, build, test (label integration: the Asio runners' threads)"
cmake --preset tsan
cmake --build --preset tsan
ctest --preset tsan --output-on-failure

step "docs: state diagram is current"
regenerate="cmake --build --preset dev --target tether_update_state_diagram"
if [[ ! -f docs/state-diagram.mmd ]]; then
  echo "test.sh: docs/state-diagram.mmd is missing. Generate it with:" >&2
  echo "  $regenerate" >&2
  exit 1
fi
generated=$(mktemp)
trap 'rm -f "$generated"' EXIT
build/dev/docs/tether-state-diagram > "$generated"
if ! diff -u docs/state-diagram.mmd "$generated"; then
  echo "test.sh: docs/state-diagram.mmd is out of date with the model (diff above)." >&2
  echo "Regenerate it and commit the result:" >&2
  echo "  $regenerate" >&2
  exit 1
fi

step "all checks passed"
