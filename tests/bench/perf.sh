#!/usr/bin/env bash
# tests/bench/perf.sh — the benchmark of issue #6: xueshi beside the ceiling
# (xs_ceiling.c: libcsv → a trivial Lua function → SQLite, no index) and the
# naive Python peer (peer.py), on generated batches, in one run.
#
#   tests/bench/perf.sh [--sizes 10000,100000,1000000] [--runs 3] [--formats csv,jsonl]
#                       [--dir /tmp/xs-perf] [--build DIR] [--no-peer]
#   tests/bench/perf.sh --growth [--prefill 10000000] [--growth-size 1000000] [--runs 3] [--dir …]
#
# Every program is timed as a whole process (wall clock, start to exit) on
# the same file; peak RSS is the child's maximum resident set (GNU time %M).
# xueshi ingests into an empty data directory each run; the median of the
# runs is reported (the largest peak RSS). Generated batches are kept in
# DIR/gen and reused. --growth builds DIR/prefill-N once (N activities of
# other people; kept, and reused while DIR/prefill-N/.complete exists and
# this build did not have to migrate it), then
# compares a --growth-size ingest into a copy of it with one into an empty
# data directory (10M activities: about 8 GB, twice while a copy is
# measured; the prefill takes tens of minutes). Not a test: it asserts
# nothing; it prints Markdown (progress goes to stderr).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${XS_BUILD_DIR:-$root/build}
sizes=10000,100000,1000000
runs=3
formats=csv,jsonl
dir=/tmp/xs-perf
growth=0
prefill=10000000
growth_size=1000000
peer=1
# the first record of the prefill batches: their people never meet those of
# any batch of up to 20,000,000 records (the generator's person = record / 10)
prefill_base=20000000
chunk=${XS_PERF_CHUNK:-1000000}  # records per prefill file

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift ;;
    --runs) runs=$2; shift ;;
    --formats) formats=$2; shift ;;
    --dir) dir=$2; shift ;;
    --build) build=$2; shift ;;
    --no-peer) peer=0 ;;
    --growth) growth=1 ;;
    --prefill) prefill=$2; shift ;;
    --growth-size) growth_size=$2; shift ;;
    -h|--help) usage 0 ;;
    *) echo "perf.sh: unknown option $1" >&2; usage 2 ;;
  esac
  shift
done
case "$runs" in ''|*[!0-9]*|0) echo "perf.sh: --runs needs a number ≥ 1" >&2; exit 2 ;; esac

build=$(cd "$build" 2>/dev/null && pwd) || { echo "perf.sh: no build directory (contrib/setup.sh builds build/)" >&2; exit 1; }
xueshi=$build/xueshi gen=$build/xs_gen ceiling=$build/xs_ceiling plugins=$build/plugins rules=$root/rules
for f in "$xueshi" "$gen" "$ceiling"; do
  [ -x "$f" ] || { echo "perf.sh: $f is missing: build first (cmake --build $build)" >&2; exit 1; }
done
if [ "$peer" = 1 ] && ! command -v python3 >/dev/null; then
  echo "perf.sh: python3 is missing (contrib/setup.sh installs it), or pass --no-peer" >&2; exit 1
fi
timer=/usr/bin/time
[ -x "$timer" ] || { timer=""; echo "perf.sh: /usr/bin/time missing (Debian package 'time'): no peak RSS" >&2; }
have_sqlite3=0; command -v sqlite3 >/dev/null && have_sqlite3=1

export XUESHI_TODAY=2026-11-28
mkdir -p "$dir/gen"
dir=$(cd "$dir" && pwd)
log=$dir/last.log

# measure NAME CMD… — runs CMD (stdout and stderr to $log), appends
# "seconds rss_kb" to $dir/m.NAME.
measure() {
  local name=$1; shift
  local t0 t1 rss=0
  t0=$(date +%s%N)
  if [ -n "$timer" ]; then
    "$timer" -f %M -o "$dir/rss.txt" "$@" >"$log" 2>&1 || { echo "perf.sh: failed: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
    rss=$(tail -n 1 "$dir/rss.txt")
  else
    "$@" >"$log" 2>&1 || { echo "perf.sh: failed: $*" >&2; tail -n 20 "$log" >&2; exit 1; }
  fi
  t1=$(date +%s%N)
  awk -v ns=$((t1 - t0)) -v kb="$rss" 'BEGIN {printf "%.6f %d\n", ns / 1e9, kb}' >>"$dir/m.$name"
}

# median seconds and largest RSS of $dir/m.NAME: "seconds rss_kb"
summary() {
  sort -n -k1,1 "$dir/m.$1" | awk '{t[NR]=$1; if ($2>r) r=$2}
    END {m = NR%2 ? t[(NR+1)/2] : (t[NR/2]+t[NR/2+1])/2; printf "%.6f %d\n", m, r}'
}

# count_activities DB — what a data directory's database holds
count_activities() {
  if [ "$have_sqlite3" = 1 ]; then sqlite3 "$1" "SELECT count(*) FROM activities"; else echo "?"; fi
}

# "${xs_ingest[@]}" DATA FILE: ingest FILE into the data directory DATA
xs_ingest=("$xueshi" ingest --rules "$rules" --plugins "$plugins" --log-level warn -q --data)

batch() { # N FORMAT → path of the generated batch (made once)
  local f=$dir/gen/batch-$1.$2
  if [ ! -s "$f" ]; then
    echo "generating $1 records as $2…" >&2
    "$gen" --records "$1" --format "$2" --out "$f.part" && mv "$f.part" "$f"
  fi
  echo "$f"
}

# 1234567 → 1,234,567
commas() {
  awk -v x="$1" 'BEGIN {s = sprintf("%.0f", x); n = length(s); o = "";
    for (i = 1; i <= n; i++) { o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o "," } print o}'
}

machine() {
  echo "_$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ); runs: $runs (median; RSS: max)_"
}

# --- throughput table ---------------------------------------------------------
throughput() {
  IFS=, read -ra size_list <<<"$sizes"
  IFS=, read -ra format_list <<<"$formats"
  local rows=()
  for n in "${size_list[@]}"; do
    rm -f "$dir"/m.*
    local csv; csv=$(batch "$n" csv)
    declare -A file=([csv]=$csv)
    for fm in "${format_list[@]}"; do file[$fm]=$(batch "$n" "$fm"); done
    for ((r = 1; r <= runs; r++)); do
      echo "size $n, run $r/$runs…" >&2
      for fm in "${format_list[@]}"; do
        rm -rf "$dir/data"
        measure "xs.$fm" "${xs_ingest[@]}" "$dir/data" "${file[$fm]}"
        local got; got=$(count_activities "$dir/data/xueshi.db")
        [ "$got" = "?" ] || [ "$got" = "$n" ] || echo "perf.sh: warning: xueshi stored $got activities of $n ($fm)" >&2
      done
      measure ceiling "$ceiling" --db "$dir/ceiling.db" "$csv"
      if [ "$peer" = 1 ]; then
        for fm in "${format_list[@]}"; do
          measure "peer.$fm" python3 "$here/peer.py" --db "$dir/peer.db" --fresh "${file[$fm]}"
        done
      fi
    done
    rm -rf "$dir/data" "$dir"/ceiling.db* "$dir"/peer.db*
    read -r ct _ < <(summary ceiling)
    for fm in "${format_list[@]}"; do
      local xt xr pt="" xs cs ps="" miss=()
      read -r xt xr < <(summary "xs.$fm")
      [ "$peer" = 1 ] && read -r pt _ < <(summary "peer.$fm")
      xs=$(awk -v n="$n" -v t="$xt" 'BEGIN {printf "%.0f", n/t}')
      cs=$(awk -v n="$n" -v t="$ct" 'BEGIN {printf "%.0f", n/t}')
      [ -n "$pt" ] && ps=$(awk -v n="$n" -v t="$pt" 'BEGIN {printf "%.0f", n/t}')
      local want=150000; [ "$fm" = csv ] || want=100000
      [ "$xs" -ge "$want" ] || miss+=("≥$((want / 1000))k/s")
      awk -v a="$xs" -v c="$cs" 'BEGIN {exit !(a >= 0.4*c)}' || miss+=("≥40% ceiling")
      [ -z "$ps" ] || awk -v a="$xs" -v p="$ps" 'BEGIN {exit !(a >= 4*p)}' || miss+=("≥4× peer")
      [ -z "$timer" ] || [ "$xr" -le $((96 * 1024)) ] || miss+=("≤96 MB")
      local missed="all met"; [ ${#miss[@]} -eq 0 ] || missed="missed: $(IFS=,; echo "${miss[*]}" | sed 's/,/, /g')"
      rows+=("$(printf '| %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s |' \
        "$(commas "$n")" "$fm" "$(commas "$xs")" "$xt" "$(commas "$cs")" \
        "$(awk -v a="$xs" -v c="$cs" 'BEGIN {printf "%.1f %%", 100*a/c}')" \
        "${ps:+$(commas "$ps")}" "${ps:+$(awk -v a="$xs" -v p="$ps" 'BEGIN {printf "%.2f×", a/p}')}" \
        "$([ -n "$timer" ] && awk -v k="$xr" 'BEGIN {printf "%.1f", k/1024}' || echo —)" "$missed")")
    done
    unset file
  done
  echo
  machine
  echo
  echo "| records | format | xueshi rec/s | xueshi s | ceiling rec/s | xueshi / ceiling | peer rec/s | xueshi / peer | xueshi peak RSS MB | targets |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Ceiling: xs_ceiling on the CSV batch (also the reference for JSONL). Peer: peer.py on the same file."
  echo "Targets (issue #6): CSV ≥150k rec/s, JSONL ≥100k; ≥40% of the ceiling; ≥4× the peer; peak RSS ≤96 MB."
}

# --- growth ------------------------------------------------------------------------
# user_version of a database, or "?" without the sqlite3 shell
schema_of() {
  if [ "$have_sqlite3" = 1 ] && [ -e "$1" ]; then sqlite3 "$1" "PRAGMA user_version"; else echo "?"; fi
}

growth_run() {
  local pre=$dir/prefill-$prefill
  # A prefill written by an older build is brought to this build's schema
  # (recompute of a year with no activities: it opens the database for
  # writing and stops). If that migrated it, it is written again instead:
  # migrations that drop an index leave its pages free (a fifth of the file
  # after migrations 8 and 9), new pages then come from that free list, and
  # the runs would measure a one-time upgrade's leftovers, not the database
  # this build writes.
  if [ -e "$pre/.complete" ]; then
    echo "bringing $pre to this build's schema…" >&2
    local v0 v1; v0=$(schema_of "$pre/xueshi.db")
    XUESHI_TODAY=2026-11-28 "$xueshi" recompute --data "$pre" --rules "$rules" --year 1900 >"$log" 2>&1 ||
      { echo "perf.sh: cannot open $pre with this build" >&2; tail -n 20 "$log" >&2; exit 1; }
    v1=$(schema_of "$pre/xueshi.db")
    if [ "$v0" != "$v1" ]; then
      echo "$pre was written by an older build (schema $v0, now $v1): writing it again" >&2
      rm -f "$pre/.complete"
    fi
  fi
  if [ -e "$pre/.complete" ]; then
    echo "reusing $pre ($(cat "$pre/.complete"))" >&2
  else
    echo "prefilling $pre with $prefill activities (kept for later runs; this takes long)…" >&2
    rm -rf "$pre"
    local done_=0 k=0 start; start=$(date +%s)
    while [ "$done_" -lt "$prefill" ]; do
      local m=$((prefill - done_)); [ "$m" -le "$chunk" ] || m=$chunk
      local f=$dir/gen/prefill-$k.csv t0 t1
      "$gen" --records "$m" --first $((prefill_base + done_)) --format csv --out "$f"
      t0=$(date +%s%N)
      "${xs_ingest[@]}" "$pre" "$f" >"$log" 2>&1 || { echo "perf.sh: prefill ingest failed" >&2; tail -n 20 "$log" >&2; exit 1; }
      t1=$(date +%s%N)
      rm -f "$f" "$pre/outbox/prefill-$k.csv.receipt.json"
      done_=$((done_ + m)); k=$((k + 1))
      printf 'prefill: %s / %s activities, this file %s rec/s, %s s so far\n' "$(commas $done_)" "$(commas "$prefill")" \
        "$(commas "$(awk -v n="$m" -v t=$((t1 - t0)) 'BEGIN {printf "%.0f", n/(t/1e9)}')")" $(($(date +%s) - start)) >&2
    done
    echo "$(count_activities "$pre/xueshi.db") activities, $(date -u +%Y-%m-%dT%H:%MZ)" >"$pre/.complete"
  fi
  local held; held=$(cut -d' ' -f1 "$pre/.complete")
  local f; f=$(batch "$growth_size" csv)
  rm -f "$dir"/m.*
  for ((r = 1; r <= runs; r++)); do
    echo "growth run $r/$runs: into an empty data directory…" >&2
    rm -rf "$dir/data"
    measure empty "${xs_ingest[@]}" "$dir/data" "$f"
    rm -rf "$dir/data"
    echo "growth run $r/$runs: copying $pre…" >&2
    rm -rf "$dir/grown"
    cp -a --reflink=auto "$pre" "$dir/grown"
    echo "growth run $r/$runs: into the copy…" >&2
    measure full "${xs_ingest[@]}" "$dir/grown" "$f"
    local got; got=$(count_activities "$dir/grown/xueshi.db")
    [ "$got" = "?" ] || [ "$held" = "?" ] || [ "$got" = $((held + growth_size)) ] ||
      echo "perf.sh: warning: the grown database holds $got activities, expected $((held + growth_size))" >&2
    rm -rf "$dir/grown"
  done
  local et er ft fr
  read -r et er < <(summary empty)
  read -r ft fr < <(summary full)
  local es fs ratio
  es=$(awk -v n="$growth_size" -v t="$et" 'BEGIN {printf "%.0f", n/t}')
  fs=$(awk -v n="$growth_size" -v t="$ft" 'BEGIN {printf "%.0f", n/t}')
  ratio=$(awk -v a="$fs" -v b="$es" 'BEGIN {printf "%.1f", 100*a/b}')
  echo
  machine
  echo
  echo "| database before | records ingested (CSV) | xueshi rec/s | seconds | peak RSS MB |"
  echo "|---|---:|---:|---:|---:|"
  printf '| empty | %s | %s | %.2f | %s |\n' "$(commas "$growth_size")" "$(commas "$es")" "$et" \
    "$([ -n "$timer" ] && awk -v k="$er" 'BEGIN {printf "%.1f", k/1024}' || echo —)"
  printf '| %s activities | %s | %s | %.2f | %s |\n' "$(commas "$held")" "$(commas "$growth_size")" "$(commas "$fs")" "$ft" \
    "$([ -n "$timer" ] && awk -v k="$fr" 'BEGIN {printf "%.1f", k/1024}' || echo —)"
  echo
  echo "Into the full database: $ratio % of the empty rate (target ≥ 70 %: $(awk -v r="$ratio" 'BEGIN {print (r >= 70 ? "met" : "missed")}'))."
}

if [ "$growth" = 1 ]; then growth_run; else throughput; fi
rm -f "$dir"/m.* "$dir/rss.txt"
