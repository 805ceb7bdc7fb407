# Sourced by scripts/test.sh and bench/run.sh: starts a throwaway PostgreSQL
# cluster with initdb/pg_ctl on a free port in a temp folder (as the
# `postgres` user when run as root, since initdb refuses root), sets
# PG_CLUSTER_URL, and stops and removes the cluster when the shell exits.

pg_bin() {
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir
  else
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
  fi
}

pg_as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_cluster_start() {
  PGBIN="$(pg_bin)"
  if [ ! -x "$PGBIN/initdb" ]; then
    echo "error: PostgreSQL server binaries not found; install the postgresql package" >&2
    return 1
  fi
  PGDIR="$(mktemp -d /tmp/galley-pg.XXXXXX)"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  if [ "$(id -u)" = 0 ]; then chown postgres "$PGDIR"; fi
  trap pg_cluster_stop EXIT
  pg_as_owner "$PGBIN/initdb" -D "$PGDIR/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
  pg_as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/log" -w -o \
    "-p $port -k $PGDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500" \
    start >/dev/null
  PG_CLUSTER_URL="postgres://postgres@127.0.0.1:$port/postgres"
  export PG_CLUSTER_URL
  echo "PostgreSQL throwaway cluster on port $port" >&2
}

pg_cluster_stop() {
  if [ -n "${PGDIR:-}" ]; then
    pg_as_owner "$PGBIN/pg_ctl" -D "$PGDIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PGDIR"
  fi
}
