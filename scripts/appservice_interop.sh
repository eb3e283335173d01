#!/usr/bin/env bash
# Application service key interop (MSC3983/MSC3984) with real third-party software from PyPI: a
# Synapse 1.163 homeserver and Keyport federate over TLS on loopback, each with the same stub
# application service (tests/appservice_interop/stub_appservice.py, real vodozemac keys), and
# claim and query each other's bridged users' keys; with Keyport's stub down a claim gets the
# stored fallback key within its timeout. Then a real application service framework, mautrix-python's
# `mautrix.appservice.AppService`, registered with a Keyport of its own
# (tests/appservice_interop/mautrix_appservice.py): transactions, identity assertion, redelivery
# after downtime and a lost acknowledgement, MSC2409 to-device messages.
# Needs python3 with venv, openssl and curl (Debian: python3-venv openssl curl) and a Swift toolchain.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-federation
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
# matrix-nio[e2e] brings vodozemac and aiohttp; matrix-synapse brings canonicaljson, signedjson and PyNaCl;
# mautrix is the version tests/client_e2e pins (without the encryption extra: no python-olm here).
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0" "matrix-synapse==1.163.2" \
  "mautrix==0.21.1"
command -v openssl > /dev/null || { echo "openssl is required (apt-get install openssl)"; exit 1; }
swift build --product keyport
# Both run even if the first fails, so one run reports both.
status=0
"$venv/bin/python" tests/appservice_interop/run.py .build/debug/keyport || status=1
"$venv/bin/python" tests/appservice_interop/mautrix_appservice.py .build/debug/keyport || status=1
exit $status
