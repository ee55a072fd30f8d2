#!/usr/bin/env bash
# Build the libFuzzer harnesses (clang, ASan + UBSan) and run each for a
# short smoke time: tests/fuzz/run.sh [SECONDS] (default 60 per harness).
# New inputs go to a work corpus under the build folder, never into the
# seeds in tests/fuzz/corpus; a crash leaves its input in
# $XS_FUZZ_BUILD/fuzz-artifacts/ and makes the script fail.
#
#   XS_FUZZ_BUILD=build-fuzz   build folder
#   XS_FUZZ_TARGETS="fuzz_json fuzz_csv fuzz_record"
#   XS_FUZZ_JOBS=1             parallel workers per harness (libFuzzer -fork)
#
# For hours, see README "Reliability and security: what is tested".
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-60}"
build="${XS_FUZZ_BUILD:-build-fuzz}"
targets="${XS_FUZZ_TARGETS:-fuzz_json fuzz_csv fuzz_record}"
jobs="${XS_FUZZ_JOBS:-1}"

# clang and its runtime (libFuzzer, sanitizers) besides what setup.sh installs.
need=()
for p in clang libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "fuzz: installing ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
configure() {
  CC=clang cmake -S . -B "$build" -DXS_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
}
# The project's own dependencies: setup.sh installs them (and builds build/)
# only when the configure step says something is missing.
configure || { contrib/setup.sh >/dev/null && configure; }
# shellcheck disable=SC2086
cmake --build "$build" -j"$(nproc)" --target $targets >/dev/null

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
failed=0
for t in $targets; do
  work="$build/fuzz-corpus/$t"
  mkdir -p "$work"
  dict="tests/fuzz/dict/${t#fuzz_}.dict"
  fork=()
  [ "$jobs" -gt 1 ] && fork=(-fork="$jobs" -ignore_crashes=0)
  echo "fuzz: $t for ${seconds}s" >&2
  # -timeout: an input that takes a second is a hang worth reporting;
  # -rss_limit_mb: the plugins promise bounded memory.
  if ! "$build/tests/fuzz/$t" "${fork[@]}" -max_total_time="$seconds" -timeout=5 \
        -rss_limit_mb=1024 -max_len=8192 -print_final_stats=1 \
        -dict="$dict" -artifact_prefix="$artifacts/$t-" \
        "$work" "tests/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1; then
    echo "fuzz: $t FAILED; input and log: $artifacts/$t-*, $build/fuzz-$t.log" >&2
    grep -m1 -A15 'ERROR:\|invariant broken' "$build/fuzz-$t.log" >&2 || tail -20 "$build/fuzz-$t.log" >&2
    failed=1
  else
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$build/fuzz-$t.log" \
      | sed "s/^/fuzz: $t /" >&2 || true
  fi
done
# The seeds and the regressions replay as ctest tests of the fuzz build.
(cd "$build" && ctest -R '_replay$' --output-on-failure >/dev/null) || { echo "fuzz: replay failed" >&2; failed=1; }
exit $failed
