#!/usr/bin/env bash
# Application service key interop (MSC3983/MSC3984) with real third-party software from PyPI: a
# Synapse 1.163 homeserver and Keyport federate over TLS on loopback, each with the same stub
# application service (tests/appservice_interop/stub_appservice.py, real vodozemac keys), and
# claim and query each other's bridged users' keys; with Keyport's stub down a claim gets the
# stored fallback key within its timeout.
# Needs python3 with venv, openssl and curl (Debian: python3-venv openssl curl) and a Swift toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-federation
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# matrix-nio[e2e] brings vodozemac and aiohttp; matrix-synapse brings canonicaljson, signedjson and PyNaCl.
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0" "matrix-synapse==1.163.2"
command -v openssl > /dev/null || { echo "openssl is required (apt-get install openssl)"; exit 1; }
swift build --product keyport
"$venv/bin/python" tests/appservice_interop/run.py .build/debug/keyport
