#!/usr/bin/env bash
# Scrapes a real Keyport's /metrics after a scripted workload and parses it with prometheus_client
# (PyPI), checking each counter moved by exactly what the workload implies; then checks that every
# line of its log_format: json log parses. Uses the interop venv (matrix-nio drives the workload).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-interop
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0" "prometheus_client==0.21.1"
bin=$(swift build --show-bin-path)/keyport
[ -x "$bin" ] || swift build --product keyport
"$venv/bin/python" tests/interop/metrics_scrape.py "$bin"
