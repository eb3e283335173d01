#!/usr/bin/env bash
# Multi-process scenarios (tests/scale_out): three `keyport serve` processes of one server on one
# fresh PostgreSQL database — concurrent claims, cross-process /sync wake-up, a seeded soak of
# to-device messages and device-list changes, and a `kill -9` during a burst of EDUs for a real
# Synapse (matrix-synapse and matrix-nio from PyPI, the same pins as scripts/federation_interop.sh).
#
# PostgreSQL: the cluster KEYPORT_TEST_POSTGRES names (.ci/run starts one); without it this script
# starts a throwaway one with scripts/postgres_cluster.sh (state in KEYPORT_PG_STATE, default
# /tmp/keyport-scale-postgres) and stops it at the end. No PostgreSQL on the machine is a failure.
# Arguments name scenarios to run (claims wakeup soak failover; default all). KEYPORT_SCALE_SEED
# repeats a soak; KEYPORT_SCALE_SOAK_SECONDS sets its length (default 30).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-federation
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0" "matrix-synapse==1.163.2" \
  "prometheus_client==0.21.1"
command -v openssl > /dev/null || { echo "openssl is required (apt-get install openssl)"; exit 1; }
swift build --product keyport

if [ -z "${KEYPORT_TEST_POSTGRES:-}" ]; then
  export KEYPORT_PG_STATE=${KEYPORT_PG_STATE:-/tmp/keyport-scale-postgres}
  trap 'bash scripts/postgres_cluster.sh stop' EXIT
  eval "$(bash scripts/postgres_cluster.sh start)"
fi
"$venv/bin/python" tests/scale_out/scale_out.py "$(swift build --show-bin-path)/keyport" "$@"
