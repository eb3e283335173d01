#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `start` makes one in a temporary directory (initdb,
# trust authentication, listening only on 127.0.0.1 at a free port and on a Unix socket in that
# directory), `env` prints the settings the tests read, `stop` stops it and removes the directory.
#
#   bash scripts/postgres_cluster.sh start        # prints: export KEYPORT_TEST_POSTGRES='host=… port=… user=keyport'
#   eval "$(bash scripts/postgres_cluster.sh env)"
#   swift test --filter KeyportStorePostgresTests
#   bash scripts/postgres_cluster.sh stop
#
# The cluster's directory is recorded in $KEYPORT_PG_STATE (default /tmp/keyport-postgres-cluster).
# PostgreSQL comes from Debian (`apt-get install postgresql`); PG_BIN overrides where its programs
# are. initdb refuses to run as root, so as root the server runs as the `postgres` user.
# Durability is switched off (fsync, synchronous_commit): the data is thrown away anyway.
set -euo pipefail

state=${KEYPORT_PG_STATE:-/tmp/keyport-postgres-cluster}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

settings() {
  # shellcheck disable=SC1090
  . "$state"
  echo "export KEYPORT_TEST_POSTGRES='host=127.0.0.1 port=$port user=keyport dbname=postgres'"
}

start() {
  if [ -f "$state" ]; then
    echo "a cluster is already recorded in $state; run '$0 stop' first" >&2
    exit 1
  fi
  [ -x "$PG_BIN/initdb" ] || { echo "no PostgreSQL in '$PG_BIN' (apt-get install postgresql)" >&2; exit 1; }
  dir=$(mktemp -d /tmp/keyport-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_owner "$PG_BIN/initdb" -D "$dir/data" -U keyport -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log"
  printf 'dir=%q\nport=%q\n' "$dir" "$port" >"$state"
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
    "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
     -c max_connections=400 -c shared_buffers=64MB" >/dev/null
  settings
}

stop() {
  [ -f "$state" ] || { echo "no cluster recorded in $state" >&2; return 0; }
  # shellcheck disable=SC1090
  . "$state"
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir" "$state"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) [ -f "$state" ] || { echo "no cluster recorded in $state" >&2; exit 1; }; settings ;;
*)
  echo "usage: $0 start|stop|env" >&2
  exit 2
  ;;
esac
