#!/usr/bin/env bash
# No Catch2 test name holds a ';'. ctest reads a ';' in a discovered name as a
# list separator: the test becomes two names that match no test case, each
# "passes" without running anything. Run as: test_names.sh <repository root>
set -euo pipefail
cd "$1"
bad=0
while IFS= read -r file; do
  # The name: the string literals right after TEST_CASE( (they may span lines).
  if names=$(grep -Pzo 'TEST_CASE\(\s*("([^"\\]|\\.)*"\s*)+' "$file" | tr '\0' '\n') &&
    grep -q ';' <<<"$names"; then
    grep ';' <<<"$names" | sed "s|^|$file: a test name with ';': |" >&2
    bad=1
  fi
done < <(git ls-files 'tests/*.cpp' 'fuzz/*.cpp' 2>/dev/null || find tests fuzz -name '*.cpp')
if [[ $bad -ne 0 ]]; then
  echo "test_names.sh: ctest would split these names at ';' and run nothing; use ',' instead" >&2
  exit 1
fi
echo "test_names.sh: no test name holds a ';'"
