#!/usr/bin/env bash
# Installs what is missing, builds cordon and its tests, and runs the whole test suite:
# unit tests, and integration tests that run real sandboxes both as the calling user (root in CI)
# and as the unprivileged user 65534.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300
