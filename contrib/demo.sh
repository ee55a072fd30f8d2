#!/usr/bin/env bash
# Set up, build, ingest the demo submissions of contrib/examples/ into a
# fresh demo data directory (./xueshi-demo) and print what came of them.
set -euo pipefail
cd "$(dirname "$0")/.."
contrib/setup.sh
data="${XS_DEMO_DATA:-./xueshi-demo}"
rm -rf "$data"
x=./build/xueshi
echo
echo "== xueshi ingest: contrib/examples/* -> $data"
$x ingest --data "$data" contrib/examples/*.json contrib/examples/*.csv
for id in 430302198001011234 430302198503154569 43030219900720789X; do
  echo
  echo "== xueshi report --id $id"
  $x report --data "$data" --id "$id"
done
echo
echo "== xueshi verify --id 43030219900720789X --level intermediate --eval-year 2022"
$x verify --data "$data" --id 43030219900720789X --level intermediate --eval-year 2022 || true
echo
echo "Receipts: $data/outbox/   Database: $data/xueshi.db (sqlite3 $data/xueshi.db 'select * from person_years')"
