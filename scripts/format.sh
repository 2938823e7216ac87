#!/usr/bin/env bash
# The one formatting of tether's C++ (.clang-format), with the one pinned tool:
# clang-format-16 from Debian 12 (scripts/install-deps.sh installs it).
#
#   scripts/format.sh           # reformat every tracked .cpp/.hpp in place
#   scripts/format.sh --check   # change nothing; exit 1 listing each file that differs
#
# CI runs --check (scripts/test.sh). tests/house/testdata/ is left as written:
# its files are inputs whose line counts the function-size tests pin.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

tool=clang-format-16
if ! command -v "$tool" >/dev/null; then
  echo "format.sh: $tool is missing; install it with: bash scripts/install-deps.sh" >&2
  exit 2
fi

mapfile -t files < <(git ls-files '*.cpp' '*.hpp' | grep -v '^tests/house/testdata/')
if [[ "${1:-}" == "--check" ]]; then
  differ=()
  for f in "${files[@]}"; do
    "$tool" --dry-run --Werror "$f" >/dev/null 2>&1 || differ+=("$f")
  done
  if [[ ${#differ[@]} -ne 0 ]]; then
    printf 'format.sh: %d of %d files differ from .clang-format:\n' "${#differ[@]}" "${#files[@]}" >&2
    printf '  %s\n' "${differ[@]}" >&2
    echo "Run: bash scripts/format.sh (and commit the result)" >&2
    exit 1
  fi
  echo "format.sh: all ${#files[@]} files formatted"
  exit 0
fi
if [[ $# -ne 0 ]]; then
  echo "usage: scripts/format.sh [--check]" >&2
  exit 2
fi
"$tool" -i "${files[@]}"
echo "format.sh: formatted ${#files[@]} files"
