#!/usr/bin/env bash
# Keyport against Synapse, side by side: builds Keyport in release mode, installs Synapse from PyPI
# into a virtualenv, starts each server on loopback in turn, runs every keyport-bench scenario with
# the same settings against each, samples resident memory, prints one table, stops what it started.
#
#   bench/run.sh [--duration SECONDS] [--concurrency N] [--scenarios claim,query,upload,todevice]
#                [--no-postgres]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$PATH:/opt/swift/usr/bin"

duration=10
concurrency=16
scenarios=claim,query,upload,todevice
postgres=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --no-postgres) postgres=no; shift ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done

started=$(date +%s)
work=$(mktemp -d /tmp/keyport-bench-XXXXXX)
chmod 755 "$work"  # the PostgreSQL server runs as the postgres user and must reach its folder
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [ -n "${pgdata:-}" ]; then runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# Synapse installs from PyPI while Swift compiles: the download and unpacking need little CPU.
echo "== installing Synapse into .venv-bench (in the background) and building Keyport (release)"
(
  [ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q --disable-pip-version-check matrix-synapse psycopg2-binary
) > "$work/pip.log" 2>&1 &
pip_pid=$!
build_started=$(date +%s)
# No debug information: the clean release build is ~7% quicker here (540 s against 582 s), and profiles
# still get function names from the symbol table.
build=(swift build -c release -debug-info-format none)
# Both products in one invocation, so one core compiles the keyport side while the other is
# on a long serial step of the generator's (NIOHTTP2, AsyncHTTPClient).
"${build[@]}" 2>&1 | tail -1
echo "   release build: $(( $(date +%s) - build_started )) s"
bin=$("${build[@]}" --show-bin-path)
wait "$pip_pid" || { cat "$work/pip.log"; echo "installing Synapse failed"; exit 1; }
synapse_version=$(.venv-bench/bin/python -c 'import synapse; print(synapse.__version__)')

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 1 300); do
    curl -fsS "$1/_matrix/client/versions" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "server at $1 did not start"; return 1
}
rss_kib() { awk "/^$2:/ {print \$2}" "/proc/$1/status" 2>/dev/null || echo 0; }

results="$work/results.txt"
: > "$results"

run_bench() { # label url pid
  "$bin/keyport-bench" --url "$2" --label "$1" --duration "$duration" --concurrency "$concurrency" \
    --scenario "$scenarios" | tee -a "$results"
  # Every server is sampled the same way: 6 s after its last request, once the run's bursts are over.
  sleep 6
  echo "MEMORY $1 $(rss_kib "$3" VmRSS) $(rss_kib "$3" RssAnon)" | tee -a "$results"
}

# --- Keyport -------------------------------------------------------------------------------------
kport=$(free_port)
mkdir -p "$work/keyport"
python3 bench/configs.py keyport "$work/keyport" "$kport" > "$work/keyport/keyport.yaml"
"$bin/keyport" serve --config "$work/keyport/keyport.yaml" > "$work/keyport/log" 2>&1 &
pids+=($!); kpid=$!
wait_up "http://127.0.0.1:$kport"
echo "== Keyport on :$kport"
run_bench keyport "http://127.0.0.1:$kport" "$kpid"
kill "$kpid"; wait "$kpid" 2>/dev/null || true

# --- Synapse on SQLite ---------------------------------------------------------------------------
start_synapse() { # label dir db-kind
  local port
  port=$(free_port)
  mkdir -p "$2"
  python3 bench/configs.py "synapse-$3" "$2" "$port" > "$2/homeserver.yaml"
  python3 bench/configs.py synapse-log "$2" "$port" > "$2/log.config"
  .venv-bench/bin/python -m synapse.app.homeserver -c "$2/homeserver.yaml" --generate-keys > /dev/null 2>&1
  .venv-bench/bin/python -m synapse.app.homeserver -c "$2/homeserver.yaml" > "$2/stdout" 2>&1 &
  pids+=($!); spid=$!
  wait_up "http://127.0.0.1:$port"
  echo "== Synapse $synapse_version ($3) on :$port"
  run_bench "$1" "http://127.0.0.1:$port" "$spid"
  kill "$spid"; wait "$spid" 2>/dev/null || true
}
start_synapse synapse "$work/synapse" sqlite

# --- Synapse on PostgreSQL, when the machine has it ------------------------------------------------
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ "$postgres" != no ] && [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ]; then
  pgroot="$work/pg"; pgdata="$pgroot/data"; pgport=$(free_port)
  mkdir -p "$pgroot/sock" && chown -R postgres:postgres "$pgroot"
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgroot/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgroot/sock -c fsync=on" start >/dev/null
  "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres synapse
  export BENCH_PGPORT=$pgport
  start_synapse synapse-pg "$work/synapse-pg" postgres
fi

echo
python3 bench/report.py "$results" "$duration" "$concurrency" "$synapse_version"
echo "(raw results: $results; wall time $(( $(date +%s) - started )) s)"
