#!/usr/bin/env bash
# The integration tests with every run of the xueshi binary (daemon, ingest,
# report …) under valgrind's memcheck: XUESHI_WRAPPER is put before the
# binary by tests/support/xs_test.c. A plain build in build-valgrind/ (no
# sanitizers: valgrind and ASan do not mix). One valgrind log per process in
# build-valgrind/valgrind-logs/; the script sums them up and fails when any
# process had a memory error or leaked (definitely, indirectly or possibly
# lost), or when a test failed.
#
#   contrib/test-valgrind.sh [CTEST_REGEX]   default: every integration test
set -euo pipefail
cd "$(dirname "$0")/.."
build="${XS_VALGRIND_BUILD_DIR:-build-valgrind}"

if ! command -v valgrind >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test-valgrind: installing valgrind" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi
XS_BUILD_DIR="$build" XS_BUILD_TYPE="${XS_BUILD_TYPE:-Debug}" contrib/setup.sh

logs="$(pwd)/$build/valgrind-logs"
rm -rf "$logs"
mkdir -p "$logs"
export XUESHI_WRAPPER="valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect,possible --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes --error-exitcode=99 --log-file=$logs/vg.%p"
# Valgrind runs programs 20-50 times slower, and its own memory is not the
# daemon's: stretch the tests' time bounds, turn their memory bounds off.
export XS_TEST_TIME_SCALE="${XS_TEST_TIME_SCALE:-20}"
export XS_TEST_RSS_SCALE=0

regex="${1:-}"
if [ -z "$regex" ]; then
  regex="^($(cd tests/integration && ls test_*.c | sed 's/\.c$//' | paste -sd'|'))\$"
fi
status=0
ctest --test-dir "$build" -R "$regex" --output-on-failure -j"${XS_TEST_JOBS:-2}" --timeout 3000 || status=1

# Sum up: every process that ran to its end wrote "ERROR SUMMARY".
runs=0 clean=0 unfinished=0 bad=0
for f in "$logs"/vg.*; do
  [ -e "$f" ] || continue
  runs=$((runs + 1))
  if ! grep -q 'ERROR SUMMARY:' "$f"; then
    unfinished=$((unfinished + 1)) # killed on purpose (SIGKILL tests) or by a timeout
  elif grep -q 'ERROR SUMMARY: 0 errors' "$f"; then
    clean=$((clean + 1))
  else
    bad=$((bad + 1))
    echo "==== $f" >&2
    cat "$f" >&2
  fi
done
echo "test-valgrind: $runs runs of xueshi: $clean without errors or leaks, $bad with, $unfinished killed before their end" >&2
grep -h 'in use at exit' "$logs"/vg.* 2>/dev/null | sed 's/^==[0-9]*== *//' | sort | uniq -c | sort -rn | head -5 >&2 || true
[ $bad -eq 0 ] || status=1
[ $runs -gt 0 ] || { echo "test-valgrind: no run went through valgrind" >&2; status=1; }
exit $status
