#!/usr/bin/env bash
# End-to-end check of `keyport migrate-sqlite-to-postgres` with the built binary: a SQLite
# deployment is ported to a fresh database on the PostgreSQL that KEYPORT_TEST_POSTGRES names, then
# `keyport serve` on PostgreSQL logs the user in with the old password and serves the old data
# (tests/interop/migrate_check.py; Python's standard library only).
#
#   eval "$(bash scripts/postgres_cluster.sh start)" && bash scripts/migrate_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KEYPORT_TEST_POSTGRES:?not set: start a cluster with scripts/postgres_cluster.sh start}"
bin=$(swift build --show-bin-path)/keyport
[ -x "$bin" ] || swift build --product keyport
python3 tests/interop/migrate_check.py "$bin"
