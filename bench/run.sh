#!/usr/bin/env bash
# Token-service benchmark. Builds the release binary, starts `galley serve`
# on SQLite (or, with --postgres, on a throwaway PostgreSQL cluster), drives
# it with wrk and prints req/s of each endpoint, its ratio to /healthz (the
# ceiling of this machine), and the server's RSS idle and at peak.
#
#   bash bench/run.sh [--postgres] [--duration SECONDS] [--connections N]
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE=sqlite
DURATION=10
CONNECTIONS=64
THREADS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --postgres) ENGINE=postgres ;;
    --duration) DURATION="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    *) echo "usage: bash bench/run.sh [--postgres] [--duration SECONDS] [--connections N]" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }

cargo build --release --quiet
GALLEY="$PWD/target/release/galley"
WORK="$(mktemp -d /tmp/galley-bench.XXXXXX)"
SERVER_PID=""
cleanup_bench() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
  if type pg_cluster_stop >/dev/null 2>&1; then pg_cluster_stop; fi
}
trap cleanup_bench EXIT

if [ "$ENGINE" = postgres ]; then
  source scripts/pg-cluster.sh
  pg_cluster_start
  trap cleanup_bench EXIT
  psql -q "$PG_CLUSTER_URL" -c "CREATE DATABASE galley_bench"
  export GALLEY_DATABASE_URL="${PG_CLUSTER_URL%/*}/galley_bench"
else
  export GALLEY_DATABASE_URL="sqlite://$WORK/galley.db"
fi

json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
"$GALLEY" migrate --json >/dev/null
COMPANY=$("$GALLEY" company create --name Bench --base-currency INR --admin-email bench@galley.test \
  --admin-password bench-password --json | json company_id)
CLIENT=$("$GALLEY" client create --company "$COMPANY" --name Bench --redirect-uri https://bench.galley.test/cb \
  --scopes plum_pro_api,xoxo_link --grant-types refresh_token,client_credentials --json)
CLIENT_ID=$(echo "$CLIENT" | json client_id)
CLIENT_SECRET=$(echo "$CLIENT" | json client_secret)
BASIC=$(printf '%s:%s' "$CLIENT_ID" "$CLIENT_SECRET" | base64 -w0)
ISSUED=$("$GALLEY" token issue --client-id "$CLIENT_ID" --admin-email bench@galley.test --scopes plum_pro_api --json)
ACCESS=$(echo "$ISSUED" | json access_token)
: > "$WORK/tokens"
# wrk may build a request it never sends (at connect time), losing that
# token; three per connection keep every chain supplied.
for _ in $(seq 1 $((CONNECTIONS * 3))); do
  "$GALLEY" token issue --client-id "$CLIENT_ID" --admin-email bench@galley.test --scopes plum_pro_api --json \
    | json refresh_token >> "$WORK/tokens"
done

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
GALLEY_LOG_LEVEL=warn "$GALLEY" serve --listen "127.0.0.1:$PORT" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
sleep 1
rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }
IDLE_RSS=$(rss_kb VmRSS)

# wrk's summary line "Requests/sec: N" and non-2xx count.
run_wrk() {
  local name="$1"; shift
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@")
  local rps non2xx p99
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  non2xx=$(echo "$out" | awk '/Non-2xx/ { print $5 }')
  p99=$(echo "$out" | awk '$1 == "99%" { print $2 }')
  printf '%s %s %s %s\n' "$name" "$rps" "${non2xx:-0}" "$p99" >> "$WORK/results"
}

: > "$WORK/results"
run_wrk healthz "$BASE/healthz"
run_wrk validation -H "Authorization: Bearer $ACCESS" "$BASE/v1/oauth/token"
GALLEY_BENCH_PATH=/v1/oauth/introspect GALLEY_BENCH_BODY="token=$ACCESS" GALLEY_BENCH_BASIC="$BASIC" \
  run_wrk introspection -s bench/post.lua "$BASE"
GALLEY_BENCH_PATH=/v1/oauth/token/company GALLEY_BENCH_BODY="grant_type=client_credentials" GALLEY_BENCH_BASIC="$BASIC" \
  run_wrk client_credentials -s bench/post.lua "$BASE"
GALLEY_BENCH_TOKENS="$WORK/tokens" GALLEY_BENCH_THREADS="$THREADS" GALLEY_BENCH_CLIENT_ID="$CLIENT_ID" \
  GALLEY_BENCH_CLIENT_SECRET="$CLIENT_SECRET" run_wrk refresh_rotation -s bench/refresh.lua "$BASE"
PEAK_RSS=$(rss_kb VmHWM)

echo
echo "Galley token service, $ENGINE, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $(nproc) cores"
printf '%-20s %12s %10s %10s %10s\n' endpoint req/s x_healthz p99 non-2xx
HEALTH=$(awk '$1 == "healthz" { print $2 }' "$WORK/results")
while read -r name rps non2xx p99; do
  ratio=$(python3 -c "print(f'{$rps / $HEALTH:.2f}')")
  printf '%-20s %12s %10s %10s %10s\n' "$name" "$rps" "$ratio" "$p99" "$non2xx"
done < "$WORK/results"
echo "RSS idle: $((IDLE_RSS / 1024)) MB, peak under load: $((PEAK_RSS / 1024)) MB"
