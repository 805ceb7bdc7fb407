#!/usr/bin/env bash
# Links report of the admin portal at 1,000,000 links, on SQLite: builds the
# release binary, sets up a company (super admin bench@galley.test) with a
# campaign, seeds one batch of 1,000,000 links straight into the database
# (one recursive-CTE INSERT: created over the last ~23 days, every 100th
# link redeemed, every 10th with a recipient), starts `galley serve`, logs
# in through /admin/login with curl, and requests GET /admin/reports/links
# ROUNDS times for each of:
#   first      the newest 50 links
#   deep       ?after=<id 1,000 links from the oldest end> (a keyset page
#              near the bottom: no OFFSET, so it costs what the first does)
#   middle     ?after=<id of the 500,000th link>
#   redeemed   ?status=redeemed (1 % of the links: walks links_status_id)
#   redeemed2  ?status=redeemed&after=<middle id>
#   created    ?status=created&after=<middle id>
# Every answer must be 200 with 50 rows. Prints per-page p50/p95/max of the
# server's own time (delta of galley_http_request_duration_seconds_sum for
# the route on /metrics: router in to response built, HTML rendered) and
# curl's total. Target: p95 under 50 ms.
#
#   bash bench/portal_links.sh [--rounds N] [--postgres]
#
# --postgres runs the same on a throwaway PostgreSQL cluster
# (scripts/pg-cluster.sh), seeding with generate_series.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=20
ENGINE=SQLite
LINKS=1000000
TARGET_MS=50
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS="$2"; shift ;;
    --postgres) ENGINE=PostgreSQL ;;
    *) echo "usage: bash bench/portal_links.sh [--rounds N] [--postgres]" >&2; exit 2 ;;
  esac
  shift
done
[ "$ROUNDS" -ge 1 ] 2>/dev/null || { echo "error: --rounds must be a positive integer" >&2; exit 2; }

# GALLEY_BIN=path skips the build (e.g. to try the script on a debug build).
if [ -z "${GALLEY_BIN:-}" ]; then
  cargo build --release --quiet --bin galley
fi
GALLEY="${GALLEY_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/galley}"
WORK="$(mktemp -d /tmp/galley-portal-bench.XXXXXX)"
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
DB="$WORK/galley.db"
if [ "$ENGINE" = PostgreSQL ]; then
  source scripts/pg-cluster.sh
  pg_cluster_start
  trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; pg_cluster_stop; rm -rf "$WORK"' EXIT
  export GALLEY_DATABASE_URL="$PG_CLUSTER_URL"
  sql() { psql -q -v ON_ERROR_STOP=1 -At "$PG_CLUSTER_URL"; }
  value() { psql -At "$PG_CLUSTER_URL" -c "$1"; }
  HASH_EXPR="lpad(to_hex(i), 64, '0')"
else
  export GALLEY_DATABASE_URL="sqlite://$DB"
  sql() { sqlite3 "$DB"; }
  value() { sqlite3 "$DB" "$1"; }
  HASH_EXPR="printf('%064x', i)"
fi
cat > "$WORK/galley.toml" <<TOML
spool_dir = "$WORK/spool"
TOML
export GALLEY_CONFIG="$WORK/galley.toml"

json() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
"$GALLEY" migrate >/dev/null
"$GALLEY" catalog import --file samples/catalog.json --json >/dev/null
COMPANY=$("$GALLEY" company create --name Bench --base-currency INR --admin-email bench@galley.test \
  --admin-password bench-password --country IN --json | json company_id)
CAMPAIGN=$("$GALLEY" campaign create --company "$COMPANY" --name Bench --denomination 500 --currency INR \
  --country IN --products 101 --json | json campaign_id)

echo "seeding $LINKS links..." >&2
SEED_START=$(date +%s.%N)
NOW_MS=$(( $(date +%s) * 1000 ))
EXPIRES_MS=$(( NOW_MS + 30 * 86400000 ))
BATCH_SQL="INSERT INTO link_batches (company_id, campaign_id, client_id, quantity, denomination_minor, currency_code,
  currency_value, link_charge_minor, base_currency, expires_at, created_at)
  VALUES ($COMPANY, $CAMPAIGN, 'bench', $LINKS, 50000, 'INR', '1', 50000, 'INR', $EXPIRES_MS, $(( NOW_MS - 2000 * LINKS )));"
# One link per i: every 10th with a recipient, every 100th redeemed.
LINK_COLUMNS="(SELECT MAX(id) FROM link_batches), i, HASH,
         CASE WHEN i % 10 = 0 THEN 'r' || i || '@bench.test' END,
         CASE WHEN i % 100 = 7 THEN 'redeemed' ELSE 'created' END,
         $EXPIRES_MS, $NOW_MS - 2000 * ($LINKS - i),
         CASE WHEN i % 100 = 7 THEN $NOW_MS - 1000 * ($LINKS - i) END"
LINK_INSERT="INSERT INTO links (batch_id, position, code_hash, email, status, expires_at, created_at, redeemed_at)"
if [ "$ENGINE" = PostgreSQL ]; then
  sql <<SQL
BEGIN;
$BATCH_SQL
$LINK_INSERT SELECT ${LINK_COLUMNS/HASH/$HASH_EXPR} FROM generate_series(0::bigint, $LINKS - 1) AS n(i);
COMMIT;
ANALYZE;
SQL
else
  sql <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
$BATCH_SQL
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $LINKS - 1)
$LINK_INSERT SELECT ${LINK_COLUMNS/HASH/$HASH_EXPR} FROM n;
COMMIT;
ANALYZE;
SQL
fi
SEED_S=$(python3 -c "import time; print(f'{time.time() - $SEED_START:.1f}')")
MIN_ID=$(value "SELECT MIN(id) FROM links")
DEEP_ID=$(( MIN_ID + 1000 ))
MID_ID=$(( MIN_ID + LINKS / 2 ))

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
GALLEY_LOG_LEVEL=warn "$GALLEY" serve --listen "127.0.0.1:$PORT" &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$BASE/healthz" >/dev/null || { echo "error: the server did not start" >&2; exit 1; }

# Log in: the log-in page's CSRF cookie and field, then the form.
JAR="$WORK/cookies"
CSRF=$(curl -fs -c "$JAR" "$BASE/admin/login" | python3 -c 'import re,sys; print(re.search(r"name=\"csrf\" value=\"([^\"]+)\"", sys.stdin.read()).group(1))')
CODE=$(curl -s -o /dev/null -w '%{http_code}' -b "$JAR" -c "$JAR" -X POST "$BASE/admin/login" \
  --data-urlencode "email=bench@galley.test" --data-urlencode "password=bench-password" \
  --data-urlencode "csrf=$CSRF" --data-urlencode "next=/admin")
[ "$CODE" = 303 ] || { echo "error: log-in answered $CODE" >&2; exit 1; }

server_seconds() {
  curl -fs "$BASE/metrics" | awk '/^galley_http_request_duration_seconds_sum\{/ && /method="GET"/ && /route="\/admin\/reports\/links"/ { s += $NF } END { printf "%.9f\n", s + 0 }'
}

# page LABEL QUERY: one request, checked; appends "label server_s total_s".
page() {
  local label="$1" query="$2" before after timing rows
  before=$(server_seconds)
  timing=$(curl -s -b "$JAR" -o "$WORK/page.html" -w '%{http_code} %{time_total}' "$BASE/admin/reports/links?$query")
  after=$(server_seconds)
  set -- $timing
  [ "$1" = 200 ] || { echo "error: $label answered HTTP $1" >&2; exit 1; }
  rows=$(grep -o '<tr><td>#' "$WORK/page.html" | wc -l)
  [ "$rows" = 50 ] || { echo "error: $label showed $rows rows, not 50" >&2; exit 1; }
  echo "$label $(python3 -c "print(f'{$after - $before:.6f}')") $2" >> "$WORK/times"
}

page warmup ""
page warmup "status=redeemed"
: > "$WORK/times"
for _ in $(seq 1 "$ROUNDS"); do
  page first ""
  page deep "after=$DEEP_ID"
  page middle "after=$MID_ID"
  page redeemed "status=redeemed"
  page redeemed2 "status=redeemed&after=$MID_ID"
  page created "status=created&after=$MID_ID"
done

echo
echo "Galley portal links report, $ENGINE, $LINKS links of one company (seeded in ${SEED_S} s), $ROUNDS rounds, $(nproc) cores"
python3 - "$WORK/times" "$TARGET_MS" <<'PY'
import math, sys
rows = [line.split() for line in open(sys.argv[1])]
target = float(sys.argv[2])
def pct(xs, p):
    xs = sorted(xs)
    return xs[max(0, math.ceil(p / 100 * len(xs)) - 1)]
print(f"{'page':<10} {'server p50':>11} {'p95':>8} {'max':>8} {'curl p50':>9}")
worst = 0.0
for label in ["first", "deep", "middle", "redeemed", "redeemed2", "created"]:
    s = [float(r[1]) * 1000 for r in rows if r[0] == label]
    t = [float(r[2]) * 1000 for r in rows if r[0] == label]
    worst = max(worst, pct(s, 95))
    print(f"{label:<10} {pct(s, 50):>9.1f}ms {pct(s, 95):>6.1f}ms {max(s):>6.1f}ms {pct(t, 50):>7.1f}ms")
print(f"target: p95 under {target:.0f} ms: {'met' if worst < target else 'MISSED'} (worst p95 {worst:.1f} ms)")
PY
