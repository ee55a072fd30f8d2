#!/usr/bin/env bash
# The whole test suite built with AddressSanitizer + UBSan (XS_SANITIZE=ON)
# in build-asan/: unit tests, and integration tests that start the real
# binary, which is ASan-built too. Leak checking is on. Every sanitizer
# report of every process (tests, daemons, ingest runs) goes to a file in
# build-asan/sanitizer-logs/; the run fails when any test fails or any
# report was written, and prints the reports.
set -euo pipefail
cd "$(dirname "$0")/.."
build="${XS_ASAN_BUILD_DIR:-build-asan}"

# Installs what is missing, configures and builds (gcc's ASan: build-essential).
XS_BUILD_DIR="$build" XS_CMAKE_ARGS="-DXS_SANITIZE=ON ${XS_CMAKE_ARGS:-}" contrib/setup.sh

logs="$(pwd)/$build/sanitizer-logs"
rm -rf "$logs"
mkdir -p "$logs"
# detect_leaks: LSan at every exit. halt_on_error: the first error ends the
# process (a daemon that dies fails its test). log_path: PID-named files, so
# reports of daemons whose stderr goes to a test's log file are not lost.
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_string_checks=1:log_path=$logs/asan"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"
# ASan needs more memory (shadow, quarantine) and time than a plain build:
# the tests' own bounds are stretched by these factors (tests/support/xs_test.h).
export XS_TEST_RSS_SCALE="${XS_TEST_RSS_SCALE:-6}"
export XS_TEST_TIME_SCALE="${XS_TEST_TIME_SCALE:-2}"

status=0
ctest --test-dir "$build" --output-on-failure -j"${XS_TEST_JOBS:-2}" ${XS_CTEST_ARGS:-} || status=1
if [ -n "$(ls -A "$logs")" ]; then
  echo "test-asan: sanitizer reports:" >&2
  for f in "$logs"/*; do
    echo "==== $f" >&2
    cat "$f" >&2
  done
  status=1
fi
[ $status -eq 0 ] && echo "test-asan: all tests passed, no sanitizer reports" >&2
exit $status
