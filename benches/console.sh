#!/usr/bin/env bash
# Console page times at office scale: a release server on a database filled by
# `asnad demo --claims N` (default 100,000), and benches/console_pages.py timing the reviewer's
# queue and claim pages (p50/p95/p99/max per kind; target p95 < 100 ms).
#
# Usage: bash benches/console.sh [CLAIMS] [REQUESTS_PER_KIND]  (ASNAD_BENCH_NO_BUILD=1: use the built binary)
# The generated database is kept in $ASNAD_BENCH_DIR (default /tmp/asnad-console-bench-CLAIMS)
# and reused by the next run (generating 100,000 claims takes about 6 minutes here); delete the
# folder to start afresh. The reviewer's one-time password is changed at the first run, so the
# folder keeps the new one.
set -euo pipefail
cd "$(dirname "$0")/.."
CLAIMS=${1:-100000}
REQUESTS=${2:-300}
DIR=${ASNAD_BENCH_DIR:-/tmp/asnad-console-bench-$CLAIMS}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
[ -n "${ASNAD_BENCH_NO_BUILD:-}" ] || cargo build --release -q --bin asnad
export ASNAD_DATABASE_URL=sqlite://$DIR/asnad.db ASNAD_DATA_DIR=$DIR/data ASNAD_LOG=warn
export ASNAD_TARIFFS_DIR=$PWD/tariffs
if [ ! -f "$DIR/demo.out" ]; then
  rm -rf "$DIR" && mkdir -p "$DIR"
  echo "generating $CLAIMS claims into $DIR …"
  /usr/bin/time -f "demo: %e s, peak RSS %M KiB" "${CARGO_TARGET_DIR:-target}/release/asnad" demo --claims "$CLAIMS" > "$DIR/demo.partial"
  mv "$DIR/demo.partial" "$DIR/demo.out"
  tail -n 14 "$DIR/demo.out"
fi
ASNAD_BIND=127.0.0.1:$PORT "${CARGO_TARGET_DIR:-target}/release/asnad" > "$DIR/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
if [ -f "$DIR/reviewer.password" ]; then
  python3 benches/console_pages.py --port "$PORT" --db "$DIR/asnad.db" --demo-output "$DIR/demo.out" \
    --requests "$REQUESTS" --password "$(cat "$DIR/reviewer.password")"
else
  python3 benches/console_pages.py --port "$PORT" --db "$DIR/asnad.db" --demo-output "$DIR/demo.out" \
    --requests "$REQUESTS" --save-password "$DIR/reviewer.password"
fi
echo "server peak RSS: $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MiB"}')"
