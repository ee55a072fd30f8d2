#!/usr/bin/env bash
# Set up, build and run the whole test suite (cmocka programs under ctest,
# including the integration tests that run the real binary, and the policy
# tests through `xueshi rules check`).
set -euo pipefail
cd "$(dirname "$0")/.."
contrib/setup.sh
ctest --test-dir "${XS_BUILD_DIR:-build}" --output-on-failure -j2
