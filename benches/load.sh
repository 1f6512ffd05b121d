#!/usr/bin/env bash
# HTTP load test of claim intake: a release server on a fresh database, the load generator on
# loopback, and the server's peak memory. Usage: bash benches/load.sh [SECONDS] [CONCURRENCY]
# With ASNAD_LOAD_DATABASE_URL=postgres://… the server uses that (empty) PostgreSQL database.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_=${1:-60}
CONC=${2:-32}
WORK=$(mktemp -d /tmp/asnad-load.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cargo build --release -q --bin asnad --example loadgen
TARGET=${CARGO_TARGET_DIR:-target}
export ASNAD_DATABASE_URL=${ASNAD_LOAD_DATABASE_URL:-sqlite://$WORK/asnad.db}
export ASNAD_BIND=127.0.0.1:$PORT ASNAD_LOG=warn ASNAD_BOOTSTRAP_ADMIN_PASSWORD=load-admin-password
export ASNAD_FIXED_TODAY=2024-10-10 ASNAD_DATA_DIR=$WORK/data ASNAD_DB_POOL_SIZE=${ASNAD_DB_POOL_SIZE:-8} ASNAD_DB_WRITERS=${ASNAD_DB_WRITERS:-4}
"$TARGET/release/asnad" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
"$TARGET/release/examples/loadgen" --base "http://127.0.0.1:$PORT" --admin-password load-admin-password \
  --concurrency "$CONC" --seconds "$SECONDS_"
echo "server peak RSS: $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MiB"}'), now anonymous $(grep RssAnon /proc/$SERVER/status | awk '{print $2/1024 " MiB"}') + file-backed $(grep RssFile /proc/$SERVER/status | awk '{print $2/1024 " MiB"}')"
