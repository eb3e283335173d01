#!/usr/bin/env bash
# Interop with real third-party Matrix software, installed from PyPI into a virtualenv:
# matrix-nio (with its E2EE extra) runs Olm and Megolm through a freshly started Keyport.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-interop
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0"
bin=$(swift build --show-bin-path)/keyport
[ -x "$bin" ] || swift build --product keyport
"$venv/bin/python" tests/interop/nio_e2ee.py "$bin"
