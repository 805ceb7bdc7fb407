#!/usr/bin/env bash
# Reward-link generation benchmark on SQLite: builds the release binary,
# sets up a funded company with a campaign and an xoxo_link token, starts
# `galley serve`, then makes sequential generateLink calls of 10,000 links
# (after 2 warm-up calls), each preceded by a call of 1 and one of 1,000
# links for comparison; checks every answer (success 1, exactly the asked
# number of distinct links) and prints per-call time (p50/p95/max) and the
# server's RSS over the run.
#
# Times per call: `server` is the server's own duration of the request
# (delta of galley_http_request_duration_seconds_sum on /metrics: from the
# request reaching the router to the response being built, JSON included,
# before the body is sent); `ttfb` is curl's %{time_starttransfer} and
# `total` curl's %{time_total} (body of ~0.7 MB received on loopback).
#
#   bash bench/links.sh [--runs N]
#
# With GALLEY_BENCH_PROFILE=FILE, `perf record -g` samples the server
# during the measured rounds into FILE (times are then inflated).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=20
QUANTITY=10000
TARGET_MS=250
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS="$2"; shift ;;
    *) echo "usage: bash bench/links.sh [--runs N]" >&2; exit 2 ;;
  esac
  shift
done
[ "$RUNS" -ge 1 ] 2>/dev/null || { echo "error: --runs must be a positive integer" >&2; exit 2; }

# src/ may be mid-edit by someone else: retry the build a few times.
for attempt in 1 2 3 4 5 6; do
  cargo build --release --quiet && break
  [ "$attempt" = 6 ] && { echo "error: cargo build --release failed $attempt times" >&2; exit 1; }
  echo "build failed (attempt $attempt); retrying in 60 s" >&2
  sleep 60
done
GALLEY="$PWD/target/release/galley"
WORK="$(mktemp -d /tmp/galley-bench.XXXXXX)"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
export GALLEY_DATABASE_URL="sqlite://$WORK/galley.db"
cat > "$WORK/galley.toml" <<TOML
spool_dir = "$WORK/spool"
[api_rate_limits]
generateLink = 100000000
TOML
export GALLEY_CONFIG="$WORK/galley.toml"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
"$GALLEY" catalog import --file samples/catalog.json --json >/dev/null
COMPANY=$("$GALLEY" company create --name Bench --base-currency INR --admin-email bench@galley.test \
  --admin-password bench-password --country IN --json | json company_id)
# Every call charges QUANTITY x 500 INR: fund every call of the run twice over.
FUNDS=$(( (RUNS + 2) * 2 * QUANTITY * 500 + 1000000000 ))
"$GALLEY" funds add --company "$COMPANY" --amount "$FUNDS" --json >/dev/null
CAMPAIGN=$("$GALLEY" campaign create --company "$COMPANY" --name Bench --denomination 500 --currency INR \
  --country IN --products 101 --json | json campaign_id)
CLIENT_ID=$("$GALLEY" client create --company "$COMPANY" --name Bench --redirect-uri https://bench.galley.test/cb \
  --scopes xoxo_link --json | json client_id)
TOKEN=$("$GALLEY" token issue --client-id "$CLIENT_ID" --admin-email bench@galley.test \
  --scopes xoxo_link --json | json access_token)
EXPIRY=$(date -u -d '+30 days' +%d-%m-%Y)

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
GALLEY_LOG_LEVEL=warn "$GALLEY" serve --listen "127.0.0.1:$PORT" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$BASE/healthz" >/dev/null || { echo "error: the server did not start" >&2; exit 1; }

# Server-side seconds spent so far on POST /v1/oauth/api.
server_seconds() {
  curl -fs "$BASE/metrics" | awk '/^galley_http_request_duration_seconds_sum\{/ && /method="POST"/ && /route="\/v1\/oauth\/api"/ { s += $NF } END { printf "%.9f\n", s + 0 }'
}
rss_kb() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$SERVER_PID/status"; }

# call QUANTITY LABEL: one generateLink call, checked; appends
# "label server ttfb total bytes rss_kb" (seconds, bytes, KiB) to $WORK/times.
call() {
  local quantity="$1" label="$2" before after timing
  before=$(server_seconds)
  timing=$(curl -s -o "$WORK/answer.json" -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}' \
    -X POST "$BASE/v1/oauth/api" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d "{\"tag\":\"xoxo_link\",\"query\":\"xoxo_link.mutation.generateLink\",\"variables\":{\"data\":{\"campaignId\":$CAMPAIGN,\"links_quantity\":$quantity,\"link_expiry\":\"$EXPIRY\"}}}")
  after=$(server_seconds)
  set -- $timing
  [ "$1" = 200 ] || { echo "error: HTTP $1: $(head -c 500 "$WORK/answer.json")" >&2; exit 1; }
  python3 - "$WORK/answer.json" "$quantity" <<'PY' || exit 1
import json, sys
answer = json.load(open(sys.argv[1]))["data"]["generateLink"]
want = int(sys.argv[2])
links = answer.get("links") or []
if answer.get("success") != 1 or len(links) != want or len(set(links)) != want:
    sys.exit(f"error: bad answer: success={answer.get('success')} links={len(links)} "
             f"distinct={len(set(links))} message={answer.get('message')!r}")
PY
  echo "$label $(python3 -c "print(f'{$after - $before:.6f}')") $2 $3 $4 $(rss_kb VmRSS)" >> "$WORK/times"
}

call "$QUANTITY" warmup
call "$QUANTITY" warmup
RSS_WARM=$(rss_kb VmRSS)
HWM_WARM=$(rss_kb VmHWM)
PERF_PID=""
if [ -n "${GALLEY_BENCH_PROFILE:-}" ]; then
  perf record -F 999 -g -p "$SERVER_PID" -o "$GALLEY_BENCH_PROFILE" >/dev/null 2>&1 &
  PERF_PID=$!
  sleep 1
fi
# Interleaved, so that each size sees the same number of stored links.
for i in $(seq 1 "$RUNS"); do
  call 1 q1
  call 1000 q1000
  call "$QUANTITY" main
done
[ -n "$PERF_PID" ] && { kill -INT "$PERF_PID"; wait "$PERF_PID" || true; }
RSS_END=$(rss_kb VmRSS)
HWM_END=$(rss_kb VmHWM)

kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

echo
echo "Galley generateLink, SQLite, $RUNS sequential rounds of 1 + 1000 + $QUANTITY links after 2 warm-up calls of $QUANTITY, $(nproc) cores"
python3 - "$WORK" "$RUNS" "$QUANTITY" "$TARGET_MS" "$RSS_WARM" "$HWM_WARM" "$RSS_END" "$HWM_END" <<'PY'
import math, os, sqlite3, sys
work, runs, quantity, target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
rss_warm, hwm_warm, rss_end, hwm_end = (int(x) / 1024 for x in sys.argv[5:9])
rows = [line.split() for line in open(f"{work}/times")]

def pct(xs, p):  # nearest rank
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)]

def stats(label):
    sel = [r for r in rows if r[0] == label]
    cols = {name: [float(r[i]) * 1000 for r in sel] for i, name in ((1, "server"), (2, "ttfb"), (3, "total"))}
    return sel, cols

print(f"{'links/call':>10} {'time (ms)':<10} {'p50':>8} {'p95':>8} {'max':>8}   {'answer':>9}")
for label, q in (("q1", 1), ("q1000", 1000), ("main", quantity)):
    sel, cols = stats(label)
    size = int(sel[0][4])
    for name in ("server", "ttfb", "total"):
        xs = cols[name]
        print(f"{q:>10} {name:<10} {pct(xs, 50):8.1f} {pct(xs, 95):8.1f} {max(xs):8.1f}   "
              + (f"{size / 1024:7.1f} KB" if name == "server" else ""))

sel, cols = stats("main")
half = len(sel) // 2
if half:
    first, second = cols["server"][:half], cols["server"][half:]
    print(f"server p50 of {quantity}-link calls, first half {pct(first, 50):.1f} ms, second half {pct(second, 50):.1f} ms")
print(f"server ms of each {quantity}-link call: " + " ".join(f"{x:.0f}" for x in cols["server"]))
rss = [int(r[5]) / 1024 for r in sel]
print(f"server RSS after warm-up: {rss_warm:.1f} MB (peak so far {hwm_warm:.1f} MB)")
print(f"server RSS after {runs} x {quantity} links: {rss_end:.1f} MB (peak {hwm_end:.1f} MB; "
      f"between calls min {min(rss):.1f}, max {max(rss):.1f} MB)")
print(f"peak RSS growth over the measured calls: {hwm_end - hwm_warm:+.1f} MB")
db = f"{work}/galley.db"
sizes = sum(os.path.getsize(p) for p in (db, db + "-wal") if os.path.exists(p))
con = sqlite3.connect(db)
links = con.execute("select count(*) from links").fetchone()[0]
print(f"database: {links} links ({2 * quantity} before the measured calls), {sizes / 1048576:.1f} MB (file + WAL)")
p50, p95, worst = pct(cols["server"], 50), pct(cols["server"], 95), max(cols["server"])
over = sum(x > target for x in cols["server"])
met = "MET" if p95 <= target else "MISSED"
print(f"target: {quantity} links in <= {target:.0f} ms server time: {met} at p95 "
      f"(server p50 {p50:.1f}, p95 {p95:.1f}, max {worst:.1f} ms; curl ttfb p95 {pct(cols['ttfb'], 95):.1f} ms); "
      f"{over} of {len(sel)} calls over {target:.0f} ms")
PY
