#!/usr/bin/env bash
# Rewards API benchmark on SQLite: builds the release binary, imports a
# 10,000-product catalog and 200,000 voucher codes, then drives
# getVouchers and placeOrder with wrk and prints req/s, the ratio to
# /healthz (median of three alternating rounds) and peak RSS.
#
#   bash bench/rewards.sh [--duration SECONDS] [--connections N]
#   GALLEY_BENCH_PROFILE=DIR bash bench/rewards.sh   # also perf profiles
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=10
CONNECTIONS=64
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    *) echo "usage: bash bench/rewards.sh [--duration SECONDS] [--connections N]" >&2; exit 2 ;;
  esac
  shift
done
command -v wrk >/dev/null || { echo "error: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
cargo build --release --quiet
GALLEY="$PWD/target/release/galley"
WORK="$(mktemp -d /tmp/galley-bench.XXXXXX)"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
export GALLEY_DATABASE_URL="sqlite://$WORK/galley.db"
cat > "$WORK/galley.toml" <<TOML
spool_dir = "$WORK/spool"
[api_rate_limits]
getVouchers = 100000000
placeOrder = 100000000
TOML
export GALLEY_CONFIG="$WORK/galley.toml"

python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
products = [{
    "productId": i, "name": f"Brand {i:05d}", "currencyCode": "INR", "currencyName": "Indian Rupee",
    "countries": [{"code": "IN", "name": "India"}] + ([{"code": "US", "name": "United States"}] if i % 3 == 0 else []),
    "valueType": "fixed_denomination", "valueDenominations": "100,500,1000", "categories": "Bench",
    "description": "<p>" + "x" * 200 + "</p>", "orderQuantityLimit": 10,
} for i in range(1, 10001)]
json.dump({"products": products}, open(f"{work}/catalog.json", "w"))
with open(f"{work}/codes.csv", "w") as f:
    f.write("code,pin,validity\n")
    for i in range(200000):
        f.write(f"BENCH-{i:07d},{i % 10000:04d},2030-01-01\n")
PY
json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
"$GALLEY" catalog import --file "$WORK/catalog.json" --json >/dev/null
"$GALLEY" codes import --product 1 --denomination 100 --file "$WORK/codes.csv" --json >/dev/null
COMPANY=$("$GALLEY" company create --name Bench --base-currency INR --admin-email bench@galley.test \
  --admin-password bench-password --json | json company_id)
"$GALLEY" funds add --company "$COMPANY" --amount 1000000000 --json >/dev/null
CLIENT_ID=$("$GALLEY" client create --company "$COMPANY" --name Bench --redirect-uri https://bench.galley.test/cb \
  --scopes plum_pro_api --json | json client_id)
export GALLEY_BENCH_TOKEN=$("$GALLEY" token issue --client-id "$CLIENT_ID" --admin-email bench@galley.test \
  --scopes plum_pro_api --json | json access_token)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
GALLEY_LOG_LEVEL=warn "$GALLEY" serve --listen "127.0.0.1:$PORT" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/readyz" >/dev/null 2>&1 && break; sleep 0.1; done
rps() { wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "$@" | awk '/Requests\/sec/ { print $2 } /Non-2xx/ { print "non-2xx:", $5 > "/dev/stderr" }'; }
# This machine's throughput drifts by ±15 % from minute to minute, so
# /healthz and getVouchers are measured in three alternating rounds and
# the round with the median ratio is reported.
ROUNDS=""
for round in 1 2 3; do
  H=$(rps "$BASE/healthz")
  V=$(rps -s bench/get_vouchers.lua "$BASE")
  ROUNDS="$ROUNDS $H:$V"
  echo "round $round: healthz $H, getVouchers $V ($(python3 -c "print(f'{$V / $H:.2f}')")x)"
done
read -r HEALTH VOUCHERS <<<"$(python3 -c "
import sys
rounds = sorted((float(v) / float(h), h, v) for h, v in (r.split(':') for r in sys.argv[1:]))
print(*rounds[1][1:])" $ROUNDS)"
# GALLEY_BENCH_PROFILE=DIR records perf profiles of both operations there.
profile() {
  [ -n "${GALLEY_BENCH_PROFILE:-}" ] || return 0
  mkdir -p "$GALLEY_BENCH_PROFILE"
  perf record -F 999 -g -p "$SERVER_PID" -o "$GALLEY_BENCH_PROFILE/$1.perf" -- sleep 4 >/dev/null 2>&1 &
  local perf_pid=$!
  wrk -t2 -c"$CONNECTIONS" -d5s -s "bench/$1.lua" "$BASE" >/dev/null
  wait "$perf_pid"
}
profile get_vouchers
ORDERS=$(rps -s bench/place_order.lua "$BASE")
profile place_order
PEAK=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$SERVER_PID/status")
SOLD=$(python3 -c "import sqlite3; c=sqlite3.connect('$WORK/galley.db'); print(c.execute('select count(*) from voucher_codes where order_id is not null').fetchone()[0], c.execute('select count(*) from orders').fetchone()[0], c.execute('select count(distinct order_id) from voucher_codes where order_id is not null').fetchone()[0])")
echo
echo "Galley Rewards API, SQLite, 10,000 products, wrk -t2 -c$CONNECTIONS -d${DURATION}s, $(nproc) cores"
printf '%-16s %12s %10s\n' endpoint req/s x_healthz
for pair in "healthz $HEALTH" "getVouchers $VOUCHERS" "placeOrder $ORDERS"; do
  set -- $pair
  printf '%-16s %12s %10s\n' "$1" "$2" "$(python3 -c "print(f'{$2 / $HEALTH:.2f}')")"
done
echo "codes sold, orders, distinct orders holding codes: $SOLD"
echo "peak RSS: $((PEAK / 1024)) MB"
