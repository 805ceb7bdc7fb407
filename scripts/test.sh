#!/usr/bin/env bash
# Runs the whole test suite: unit tests and the integration suite, every
# integration test once on SQLite and once on PostgreSQL.
#
# Needs these system packages (it says which one is missing and stops):
# PostgreSQL's server binaries, Chromium, Node.js with npm, Python 3 with
# its venv module. Everything else it sets up itself, cached between runs:
# - the Python test tools (aiosmtpd, schemathesis; pinned in
#   scripts/test-requirements.txt) in a virtual environment under
#   target/test-tools/venv, whose python it exports as GALLEY_TEST_PYTHON;
# - the npm test tools of tests/interop (oauth4webapi, playwright-core,
#   newman) with `npm ci`, again only when package-lock.json changed.
# Then it starts a throwaway PostgreSQL cluster (scripts/pg-cluster.sh),
# runs the tests with cargo-nextest (cargo test if nextest is absent), and
# stops the cluster. Extra arguments go to the test runner, e.g.
# `bash scripts/test.sh -E 'test(/sqlite$/)'`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/pg-cluster.sh

missing=()
[ -x "$(pg_bin)/initdb" ] || missing+=("postgresql (PostgreSQL's server binaries: initdb, pg_ctl)")
[ -x /usr/bin/chromium ] || missing+=("chromium (the browser tests drive /usr/bin/chromium)")
command -v node >/dev/null 2>&1 || missing+=("nodejs (node runs the interop tests and newman)")
command -v npm >/dev/null 2>&1 || missing+=("npm (installs tests/interop)")
if ! command -v python3 >/dev/null 2>&1; then
  missing+=("python3 (runs aiosmtpd and schemathesis)")
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=("python3-venv (the test tools' virtual environment)")
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "error: missing system packages (apt-get install them; .ci/run does):" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi

# Python test tools, reinstalled only when their pinned list changes.
tools="$PWD/target/test-tools"
venv="$tools/venv"
wanted="$(sha256sum scripts/test-requirements.txt | cut -d' ' -f1)"
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$tools/venv.stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setting up the Python test tools in $venv" >&2
  rm -rf "$venv"
  mkdir -p "$tools"
  if ! python3 -m venv "$venv"; then
    echo "error: python3 cannot make a virtual environment; install python3-venv" >&2
    exit 1
  fi
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r scripts/test-requirements.txt
  echo "$wanted" >"$tools/venv.stamp"
fi
export GALLEY_TEST_PYTHON="$venv/bin/python"

# npm test tools, `npm ci` only when the lock file changed.
wanted="$(sha256sum tests/interop/package-lock.json | cut -d' ' -f1)"
if [ ! -d tests/interop/node_modules ] || [ "$(cat tests/interop/node_modules/.galley.stamp 2>/dev/null)" != "$wanted" ]; then
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
  echo "$wanted" >tests/interop/node_modules/.galley.stamp
fi

pg_cluster_start
export GALLEY_TEST_PG_URL="$PG_CLUSTER_URL"

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --all-targets --no-fail-fast --test-threads 4 "$@"
else
  cargo test --workspace --no-fail-fast "$@"
fi
