#!/usr/bin/env bash
# Times `asnad insured import` of 1,000,000 generated rows into a fresh SQLite database, then the
# same file again (the idempotent path). Target (issue 4): under 60 s on this 2-core machine.
# Usage: bash benches/insured_import.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
WORK=$(mktemp -d /tmp/asnad-import.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 benches/gen_insured.py "$WORK/insured.csv" "$ROWS"
ls -lh "$WORK/insured.csv" | awk '{print "file:", $5}'
cargo build --release -q
export ASNAD_DATABASE_URL="sqlite://$WORK/asnad.db" ASNAD_LOG=warn
./target/release/asnad migrate >/dev/null
for run in first again; do
  echo "== $run import"
  /usr/bin/time -f "wall %e s, max RSS %M KiB" ./target/release/asnad insured import --quiet "$WORK/insured.csv"
done
ls -lh "$WORK/asnad.db" | awk '{print "database:", $5}'
