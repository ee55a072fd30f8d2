#!/usr/bin/env bash
# Install the Debian packages xueshi needs (only those missing) and build it
# into build/ (or $XS_BUILD_DIR). Safe to run again: it then only rebuilds.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential cmake pkg-config
      liblua5.4-dev libuv1-dev libsqlite3-dev sqlite3 libjansson-dev libyajl-dev libcsv-dev
      nettle-dev libcmocka-dev python3 time  # time: peak RSS in tests/bench/perf.sh
      chromium fonts-noto-cjk poppler-utils)  # certificate rendering tests (PDF/PNG)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

build="${XS_BUILD_DIR:-build}"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE="${XS_BUILD_TYPE:-RelWithDebInfo}" ${XS_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j"$(nproc)"
