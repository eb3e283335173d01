#!/usr/bin/env bash
# Keyport against Synapse, side by side: builds Keyport in release mode, installs Synapse (and
# matplotlib) from PyPI into a virtualenv, starts each server configuration on loopback in turn,
# runs every keyport-bench scenario with the same settings against each, samples resident memory,
# prints one table headed by this command line and the Keyport commit, draws it as a chart, and
# stops what it started.
#
#   bench/run.sh [--duration SECONDS] [--concurrency N] [--scenarios claim,query,upload,todevice,noop]
#                [--scenario-concurrency NAME=N,…] [--claim-rate-bound PER_SECOND]
#                [--synapse-claim-rate-bound PER_SECOND]
#                [--keyport sqlite,sqlite-logged,postgres1,postgres3] [--synapse sqlite,postgres]
#                [--no-hello] [--no-postgres] [--fanout 1000,10000|none] [--fanout-rounds 2,1]
#                [--fanout-idle-wait SECONDS]
#                [--chart docs/benchmarks.png]
#
# Before the servers, a bare Hummingbird hello-world (keyport-bench-hello) is loaded the same way
# (--no-hello leaves it out): the ceiling the `noop` scenarios are compared with.
# --scenario-concurrency gives some scenarios other concurrency than --concurrency (keyport-bench's
# option of the same name); --claim-rate-bound sizes the claim scenario's pool of one-time keys
# for Keyport (25,000 claims/s by default, about 5× what it reaches here), --synapse-claim-rate-bound
# for Synapse (5,000/s, about 9× its best): uploading Keyport's 125,000 keys to Synapse took it
# about 15 s per configuration, for a pool it used 3% of. A pool run dry shows as fallback answers,
# each an error, so a bound too low fails the run rather than flattering anyone.
#
# --fanout gives the destination counts of the federation fan-out (Keyport on SQLite only, after
# the other Keyport configurations): keyport-bench plays that many servers over TLS on loopback and
# times a device change reaching them all (see Sources/keyport-bench/FanOut/FanOutScenario.swift).
# --fanout-rounds gives the device changes timed at each count (one number for all): two at
# 1,000 servers, whose goal holds for every round, and one at 10,000 by default (a second one there
# took another 17 s of a run that must fit in 15 minutes). --fanout-idle-wait samples Keyport's
# memory again that many seconds after the largest count.
#
# --keyport and --synapse pick the server configurations (default: Keyport sqlite and
# both Synapses; `none` for none). `sqlite-logged` is Keyport on SQLite with `log_level: info`, a log
# line per request: beside `sqlite` it shows what the request log costs.
# postgres1 and postgres3 are one and three `keyport serve` processes on a fresh PostgreSQL database;
# the generator sends its requests to the three in turn. --no-postgres drops every PostgreSQL
# configuration. The PostgreSQL configurations are skipped when the machine has no PostgreSQL.
set -euo pipefail
command_line=$0  # as typed, for the table's heading: quotes only where the shell needs them
for arg in "$@"; do
  if [[ "$arg" =~ ^[A-Za-z0-9_./,=:+-]+$ ]]; then command_line+=" $arg"; else command_line+=" $(printf %q "$arg")"; fi
done
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

duration=5
concurrency=16
scenarios=claim,query,upload,todevice,noop
scenario_concurrency=""
claim_rate_bound=25000
synapse_claim_rate_bound=5000
hello=yes
# Keyport's default engine against both Synapses; Keyport on PostgreSQL (postgres1) is on demand:
# with it and the fan-out, a clean-clone run took 993 s, past the 15 minutes the run must fit in.
keyport_configs=sqlite
synapse_configs=sqlite,postgres
postgres=auto
fanout=1000,10000
fanout_rounds=2,1
fanout_idle_wait=0
chart=docs/benchmarks.png
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --scenarios) scenarios=$2; shift 2 ;;
    --scenario-concurrency) scenario_concurrency=$2; shift 2 ;;
    --claim-rate-bound) claim_rate_bound=$2; shift 2 ;;
    --synapse-claim-rate-bound) synapse_claim_rate_bound=$2; shift 2 ;;
    --no-hello) hello=no; shift ;;
    --keyport) keyport_configs=$2; shift 2 ;;
    --synapse) synapse_configs=$2; shift 2 ;;
    --no-postgres) postgres=no; shift ;;
    --fanout) fanout=$2; shift 2 ;;
    --fanout-rounds) fanout_rounds=$2; shift 2 ;;
    --fanout-idle-wait) fanout_idle_wait=$2; shift 2 ;;
    --chart) chart=$2; shift 2 ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done
for config in ${keyport_configs//,/ }; do
  case "$config" in sqlite|sqlite-logged|postgres1|postgres3|none) ;; *) echo "unknown --keyport $config"; exit 2 ;; esac
done
for config in ${synapse_configs//,/ }; do
  case "$config" in sqlite|postgres|none) ;; *) echo "unknown --synapse $config"; exit 2 ;; esac
done
selected() { [[ ",$1," == *",$2,"* ]]; }  # selected LIST ITEM

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ "$postgres" = auto ] && { [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; }; then
  echo "== no PostgreSQL server on this machine (/usr/lib/postgresql/*/bin/initdb): skipping its configurations"
  postgres=no
fi
if [ "$postgres" = no ]; then
  keyport_configs=$(echo ",$keyport_configs," | sed 's/,postgres[13]//g; s/^,//; s/,$//')
  synapse_configs=$(echo ",$synapse_configs," | sed 's/,postgres//g; s/^,//; s/,$//')
fi

# The fan-out holds a connection per destination server at each end.
ulimit -n "$(ulimit -Hn)"
started=$(date +%s)
commit=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain --untracked-files=no)" ] || commit="$commit (with uncommitted changes)"
work=$(mktemp -d /tmp/keyport-bench-XXXXXX)
chmod 755 "$work"  # the PostgreSQL server runs as the postgres user and must reach its folder
results="$work/results.txt"
{
  echo "RUN command $command_line"
  echo "RUN commit $commit"
  echo "RUN date $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "RUN settings $concurrency concurrent clients, $duration s per scenario, loopback, $(nproc) cores"
  echo "RUN load-before $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$results"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  if [ -n "${pgdata:-}" ]; then runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

# Synapse and matplotlib install from PyPI while Swift compiles: the download and unpacking need
# little CPU. matplotlib is pinned so that charts from different runs look alike.
echo "== installing Synapse and matplotlib into .venv-bench (in the background) and building Keyport (release)"
(
  [ -x .venv-bench/bin/python ] || python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q --disable-pip-version-check matrix-synapse==1.163.2 psycopg2-binary matplotlib==3.11.2
) > "$work/pip.log" 2>&1 &
pip_pid=$!
build_started=$(date +%s)
# No debug information: the clean release build is ~7% quicker here (540 s against 582 s), and profiles
# still get function names from the symbol table. The Swift runtime and Foundation are linked into
# the executables (--static-swift-stdlib): only the pages a process touches are loaded, where
# shared libraries are mapped and relocated whole.
#
# Linked by lld rather than gold (the default): each link of these ~110 MB executables takes ~1 s
# instead of ~25 s. PIE stays (address randomisation), but its 144,000 relative relocations are
# packed (`-z pack-relative-relocs`, DT_RELR, glibc 2.36+): 28 KB instead of a 3.3 MB table that
# the loader reads, and pages, at every start. And only the symbols the executable imports are in
# its dynamic symbol table (`--no-export-dynamic`; the runtime's link arguments export all ~52,000,
# another 1.6 MB read at start). An idle `keyport serve` holds about 5 MB less (docs/benchmarks.md).
build=(swift build -c release -debug-info-format none --static-swift-stdlib -Xswiftc -use-ld=lld
  -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic)
# Only the three executables the run needs, one after the other: with the runtime linked
# statically, `swift build` of everything would also build the test-support libraries, which
# need the Testing module that only exists as a shared library.
for product in keyport keyport-bench keyport-bench-hello; do
  "${build[@]}" --product "$product" 2>&1 | tail -1
done
echo "   release build: $(( $(date +%s) - build_started )) s"
bin=$("${build[@]}" --show-bin-path)
wait "$pip_pid" || { cat "$work/pip.log"; echo "installing Synapse failed"; exit 1; }
# The package's own version: synapse.__version__ appends the git branch of the folder it sits in.
synapse_version=$(.venv-bench/bin/python -c 'import importlib.metadata as m; print(m.version("matrix-synapse"))')
echo "RUN synapse $synapse_version" >> "$results"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # url log
  for _ in $(seq 1 300); do
    curl -fsS "$1/_matrix/client/versions" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "!! server at $1 did not start; the end of its log ($2):"; tail -20 "$2"; return 1
}
rss_kib() { awk "/^$2:/ {print \$2}" "/proc/$1/status" 2>/dev/null || echo 0; }

# Runs the scenarios against the processes of one server configuration, samples their memory and
# stops them. The generator sends its requests to the processes in turn.
run_bench() { # label "url…" "pid…" [scenarios] [claim-rate-bound]
  local urls=() rss=0 anonymous=0 url pid status=0
  for url in $2; do urls+=(--url "$url"); done
  "$bin/keyport-bench" "${urls[@]}" --label "$1" --duration "$duration" --concurrency "$concurrency" \
    --scenario "${4:-$scenarios}" --scenario-concurrency "$scenario_concurrency" \
    --claim-rate-bound "${5:-$claim_rate_bound}" | tee -a "$results" || status=$?
  # Every server is sampled the same way: 6 s after its last request, once the run's bursts are over.
  # With several processes the figure is their sum.
  sleep 6
  for pid in $3; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "!! process $pid of $1 exited during the run"; status=1; fi
    rss=$(( rss + $(rss_kib "$pid" VmRSS) )); anonymous=$(( anonymous + $(rss_kib "$pid" RssAnon) ))
  done
  echo "MEMORY $1 $rss $anonymous" | tee -a "$results"
  for pid in $3; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  return "$status"
}

# --- PostgreSQL: one cluster for every configuration that uses it, a fresh database for each -----
createdb_fresh() { "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U postgres "$1"; }
if [[ "$keyport_configs,$synapse_configs" == *postgres* ]]; then
  pgroot="$work/pg"; pgdata="$pgroot/data"; pgport=$(free_port)
  mkdir -p "$pgroot/sock" && chown -R postgres:postgres "$pgroot"
  runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >/dev/null
  runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$pgroot/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgroot/sock -c fsync=on" start >/dev/null
  export BENCH_PGPORT=$pgport
  echo "== PostgreSQL $("$pgbin/postgres" --version | awk '{print $3}') on :$pgport"
fi

# --- The ceiling: a bare Hummingbird hello-world under the same load -----------------------------------
if [ "$hello" = yes ]; then
  port=$(free_port)
  "$bin/keyport-bench-hello" "$port" > "$work/hello.log" 2>&1 &
  pids+=($!); hello_pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/hello" >/dev/null 2>&1 && break; sleep 0.1; done
  echo "== Hummingbird hello-world on :$port"
  run_bench hello "http://127.0.0.1:$port" "$hello_pid" hello || echo "!! hello-world failed"
fi

# --- Keyport ---------------------------------------------------------------------------------------
start_keyport() { # label db-kind processes
  local dir="$work/$1" urls="" kpids="" port i
  mkdir -p "$dir"
  if [ "$2" = postgres ]; then
    export BENCH_PGDATABASE=${1//-/_}
    createdb_fresh "$BENCH_PGDATABASE"
  fi
  # The processes' configurations differ only in their listener's port. Each starts once the one
  # before answers, so the first alone creates the signing key and the schema.
  for i in $(seq 1 "$3"); do
    port=$(free_port)
    python3 bench/configs.py "keyport-$2" "$dir" "$port" > "$dir/keyport-$i.yaml"
    "$bin/keyport" serve --config "$dir/keyport-$i.yaml" > "$dir/log-$i" 2>&1 &
    pids+=($!); kpids="$kpids $!"
    wait_up "http://127.0.0.1:$port" "$dir/log-$i" || return 1
    urls="$urls http://127.0.0.1:$port"
  done
  echo "== Keyport ($2, $3 process(es)) on$urls"
  run_bench "$1" "$urls" "$kpids"
}
if selected "$keyport_configs" sqlite; then start_keyport keyport-sqlite sqlite 1 || echo "!! keyport-sqlite failed"; fi
# The same with `log_level: info`, a line per request: what the request log costs the hot paths.
if selected "$keyport_configs" sqlite-logged; then
  start_keyport keyport-sqlite-logged sqlite-logged 1 || echo "!! keyport-sqlite-logged failed"
fi
if selected "$keyport_configs" postgres1; then start_keyport keyport-pg1 postgres 1 || echo "!! keyport-pg1 failed"; fi
if selected "$keyport_configs" postgres3; then start_keyport keyport-pg3 postgres 3 || echo "!! keyport-pg3 failed"; fi

# --- Federation fan-out: Keyport on SQLite telling many servers of a device change --------------------
if [ "$fanout" != none ]; then
  dir="$work/keyport-fanout"
  mkdir -p "$dir"
  "$bin/keyport-bench" --make-fanout-ca "$dir/fanout-ca"
  port=$(free_port)
  python3 bench/configs.py keyport-fanout "$dir" "$port" > "$dir/keyport.yaml"
  "$bin/keyport" serve --config "$dir/keyport.yaml" > "$dir/log" 2>&1 &
  pids+=($!); fanout_pid=$!
  if wait_up "http://127.0.0.1:$port" "$dir/log"; then
    echo "== Keyport (sqlite) fan-out to $fanout stub servers, open files up to $(ulimit -n)"
    "$bin/keyport-bench" --url "http://127.0.0.1:$port" --label keyport-fanout --scenario fanout \
      --fanout-database "$dir/keyport.db" --fanout-certificates "$dir/fanout-ca" --fanout-destinations "$fanout" \
      --fanout-rounds "$fanout_rounds" --fanout-idle-wait "$fanout_idle_wait" --server-pid "$fanout_pid" | tee -a "$results" || echo "!! keyport-fanout failed"
  else
    echo "!! keyport-fanout failed"
  fi
  kill "$fanout_pid" 2>/dev/null || true; wait "$fanout_pid" 2>/dev/null || true
fi

# --- Synapse ---------------------------------------------------------------------------------------
start_synapse() { # label dir db-kind
  local port spid
  port=$(free_port)
  mkdir -p "$2"
  [ "$3" = postgres ] && createdb_fresh synapse
  python3 bench/configs.py "synapse-$3" "$2" "$port" > "$2/homeserver.yaml"
  python3 bench/configs.py synapse-log "$2" "$port" > "$2/log.config"
  .venv-bench/bin/python -m synapse.app.homeserver -c "$2/homeserver.yaml" --generate-keys > /dev/null 2>&1
  .venv-bench/bin/python -m synapse.app.homeserver -c "$2/homeserver.yaml" > "$2/stdout" 2>&1 &
  pids+=($!); spid=$!
  wait_up "http://127.0.0.1:$port" "$2/stdout" || return 1
  echo "== Synapse $synapse_version ($3) on :$port"
  run_bench "$1" "http://127.0.0.1:$port" "$spid" "$scenarios" "$synapse_claim_rate_bound"
}
if selected "$synapse_configs" sqlite; then start_synapse synapse-sqlite "$work/synapse" sqlite || echo "!! synapse-sqlite failed"; fi
if selected "$synapse_configs" postgres; then start_synapse synapse-pg "$work/synapse-pg" postgres || echo "!! synapse-pg failed"; fi

echo "RUN load-after $(cut -d' ' -f1-3 /proc/loadavg)" >> "$results"
echo
python3 bench/report.py "$results"
# The chart draws the scenarios run against every server; a run of the fan-out alone has none.
if grep -v ' fanout-' "$results" | grep -q '^RESULT'; then
  mkdir -p "$(dirname "$chart")"
  .venv-bench/bin/python bench/chart.py "$results" "$chart"
else
  chart="none drawn"
fi
echo "(chart: $chart; raw results: $results; wall time $(( $(date +%s) - started )) s)"
