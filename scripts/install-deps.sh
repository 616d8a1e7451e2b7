#!/usr/bin/env bash
# Installs every Debian package that building, testing and benchmarking cordon needs.
# Idempotent: packages already present are not touched, and apt-get runs only when one is missing.
set -euo pipefail

packages=(
  # build
  g++ cmake make pkg-config git
  libseccomp-dev libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  # tests: real programs run inside the sandbox, and the tools that drive them
  python3 curl util-linux iproute2 iputils-ping tmux procps vim-tiny socat
  # reference implementations for differential tests (telemetry) come from npm
  nodejs npm
  # the reference peer for benchmarks
  bubblewrap hyperfine
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

# A tool may already be on PATH from another source (e.g. node from an image); do not fight it.
for tool in node npm; do
  if command -v "$tool" >/dev/null 2>&1; then
    missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
  fi
done
filtered=()
for p in "${missing[@]}"; do [ -n "$p" ] && filtered+=("$p"); done

if [ ${#filtered[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages: ${filtered[*]} (run this script as root)" >&2
    exit 1
  fi
  echo "install-deps: installing ${filtered[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${filtered[@]}" >/dev/null
fi
