#!/usr/bin/env bash
# Installs the Debian packages tether's build needs, and only those missing.
# Idempotent: with everything present it changes nothing and needs no network.
set -euo pipefail

packages=(
  g++ cmake ninja-build ccache
  catch2 librapidcheck-dev libtrompeloeil-cpp-dev librange-v3-dev libbenchmark-dev
  clang-16 libclang-rt-16-dev clang-format-16
  nlohmann-json3-dev libcli11-dev
  libboost1.74-dev libssl-dev openssl
  nginx libnginx-mod-nchan curl
  prometheus-cpp-dev
  libnats-dev nats-server
)

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
  if [[ "$status" != "installed" ]]; then
    missing+=("$package")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
as_root=(env DEBIAN_FRONTEND=noninteractive)
if [[ $(id -u) -ne 0 ]]; then
  as_root=(sudo env DEBIAN_FRONTEND=noninteractive)
fi

apt_install() {
  "${as_root[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
}

# Try with the current package lists first; refresh them only if that fails
# (empty or stale lists: "Unable to locate package", 404s).
if ! apt_install; then
  echo "install-deps: install failed; running apt-get update and retrying"
  "${as_root[@]}" apt-get update
  apt_install
fi
