#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the integration suite, every
# integration test once on SQLite and once on PostgreSQL.
#
# Starts a throwaway PostgreSQL cluster with initdb/pg_ctl on a free port in
# a temp folder (as the `postgres` user when run as root, since initdb
# refuses root), installs the npm interop client, runs the tests with
# cargo-nextest (cargo test if nextest is absent) and stops the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."

pg_bin() {
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
  else
    ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1
  fi
}
PGBIN="$(pg_bin)"
[ -x "$PGBIN/initdb" ] || { echo "error: PostgreSQL server binaries not found; install the postgresql package" >&2; exit 1; }

PGDIR="$(mktemp -d /tmp/galley-pg.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$PGDIR"; fi

cleanup() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PGDIR"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o \
  "-p $PORT -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500" \
  start >/dev/null
export GALLEY_TEST_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
echo "PostgreSQL test cluster on port $PORT"

(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-targets --no-fail-fast --test-threads 4 "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
