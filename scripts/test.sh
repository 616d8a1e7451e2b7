#!/usr/bin/env bash
# Installs what is missing, builds cordon and its tests, and runs the whole test suite:
# unit tests, and integration tests that run real sandboxes both as the calling user (root in CI)
# and as the unprivileged user 65534. Then the unit tests once more, built with AddressSanitizer
# and UndefinedBehaviorSanitizer (leaks included); CORDON_SKIP_SANITIZE=1 skips that pass.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 300

if [ "${CORDON_SKIP_SANITIZE:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCORDON_SANITIZE=ON >/dev/null
  # The node-based telemetry tests (label unit) drive these two programs.
  cmake --build build-asan -j"$(nproc)" \
    --target cordon_unit_tests telemetry_tracestate_tool telemetry_run_driver
  UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan -L unit --output-on-failure -j"$(nproc)" --timeout 300
fi
