#!/usr/bin/env bash
# Times `asnad insured import` of 1,000,000 generated rows into a fresh database, then the same
# file again (the idempotent path). Targets: under 60 s on SQLite (issue 4), under 30 s on
# PostgreSQL (issue 20, where the new rows go in by COPY).
# Usage: bash benches/insured_import.sh [ROWS]
# With ASNAD_IMPORT_DATABASE_URL=postgres://… it imports into that (empty) PostgreSQL database.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
WORK=$(mktemp -d /tmp/asnad-import.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 benches/gen_insured.py "$WORK/insured.csv" "$ROWS"
ls -lh "$WORK/insured.csv" | awk '{print "file:", $5}'
cargo build --release -q --bin asnad
TARGET=${CARGO_TARGET_DIR:-target}
export ASNAD_DATABASE_URL=${ASNAD_IMPORT_DATABASE_URL:-sqlite://$WORK/asnad.db} ASNAD_LOG=warn ASNAD_DATA_DIR=$WORK/data
echo "database: ${ASNAD_DATABASE_URL%%://*}"
"$TARGET/release/asnad" migrate >/dev/null
for run in first again; do
  echo "== $run import"
  /usr/bin/time -f "wall %e s, max RSS %M KiB" "$TARGET/release/asnad" insured import --quiet "$WORK/insured.csv"
done
[ -f "$WORK/asnad.db" ] && ls -lh "$WORK/asnad.db" | awk '{print "database:", $5}' || true
