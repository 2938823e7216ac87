#!/usr/bin/env bash
# Builds the release configuration and runs tether-demo (arguments pass through).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
exec build/release/sim/tether-demo "$@"
