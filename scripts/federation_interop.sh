#!/usr/bin/env bash
# Federation interop with real third-party Matrix software from PyPI: a Synapse homeserver and
# Keyport federate over TLS on loopback while matrix-nio clients (E2EE) on each side query and
# claim each other's keys and exchange Olm to-device messages, including across a Synapse restart.
# Needs python3 with venv, openssl and curl (Debian: python3-venv openssl curl) and a Swift toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-federation
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0" "matrix-synapse==1.163.2"
command -v openssl > /dev/null || { echo "openssl is required (apt-get install openssl)"; exit 1; }
swift build --product keyport
"$venv/bin/python" tests/interop/federation_synapse.py .build/debug/keyport
