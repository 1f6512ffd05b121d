#!/usr/bin/env bash
# Reports at national size (issue 19): a database with 10 million claim lines
# (benches/reportgen.rs), then a release server on it and every report timed through HTTP
# (benches/reports_time.py). Usage: bash benches/reports.sh [CLAIMS] [LINES_PER_CLAIM]
# Default 1,000,000 claims × 10 lines. With ASNAD_REPORTS_DATABASE_URL=postgres://… the data
# goes into that (empty) PostgreSQL database instead of a fresh SQLite file. With
# ASNAD_REPORTS_EXISTING=1 that database already holds reportgen's data and is only timed (the
# generator takes ~20 minutes for 10 million lines here).
set -euo pipefail
cd "$(dirname "$0")/.."
CLAIMS=${1:-1000000}
LINES=${2:-10}
WORK=$(mktemp -d /tmp/asnad-reports.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo build --release -q --bin asnad --example reportgen
TARGET=${CARGO_TARGET_DIR:-target}
export ASNAD_DATABASE_URL=${ASNAD_REPORTS_DATABASE_URL:-sqlite://$WORK/asnad.db}
export ASNAD_BOOTSTRAP_ADMIN_PASSWORD=reports-admin-password
export ASNAD_DATA_DIR=${ASNAD_REPORTS_DATA_DIR:-$WORK/data}
[ -n "${ASNAD_REPORTS_EXISTING:-}" ] || "$TARGET/release/examples/reportgen" --database-url "$ASNAD_DATABASE_URL" --claims "$CLAIMS" --lines "$LINES" \
  ${ASNAD_REPORTS_VERIFY:+--verify}
[ -f "$WORK/asnad.db" ] && echo "SQLite file: $(du -sh "$WORK/asnad.db" | cut -f1)"
export ASNAD_BIND=127.0.0.1:$PORT ASNAD_LOG=warn
# The last day of 1403: the year's data is all in the past, the backlog ages are real.
export ASNAD_FIXED_TODAY=2025-03-19
"$TARGET/release/asnad" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 600); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.5; done
python3 benches/reports_time.py "http://127.0.0.1:$PORT" reports-admin-password
echo "server peak RSS: $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MiB"}')"
