#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the integration suite, every
# integration test once on SQLite and once on PostgreSQL.
#
# Starts a throwaway PostgreSQL cluster (scripts/pg-cluster.sh), installs the
# npm interop client, runs the tests with cargo-nextest (cargo test if
# nextest is absent), and stops the cluster. Extra arguments go to the test
# runner, e.g. `bash scripts/test.sh -E 'test(/sqlite$/)'`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg-cluster.sh

pg_cluster_start
export GALLEY_TEST_PG_URL="$PG_CLUSTER_URL"

(cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-targets --no-fail-fast --test-threads 4 "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
