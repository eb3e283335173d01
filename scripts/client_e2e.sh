#!/usr/bin/env bash
# End to end for the client SDK: keyport-client devices and matrix-nio (E2EE, from PyPI) in one
# encrypted room on a freshly started Keyport (tests/client_e2e/client_e2e.py), then a second,
# independent client, mautrix-python with its `encryption` extra (python-olm), against the SDK on
# another fresh Keyport (tests/client_e2e/mautrix_e2e.py). mautrix gets a venv of its own so its
# pins never move matrix-nio's.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-interop
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0"
# Built every time (a no-op when up to date) so a stale binary never passes for the sources.
swift build --product keyport
swift build --product keyport-client
bin_dir=$(swift build --show-bin-path)
"$venv/bin/python" tests/client_e2e/client_e2e.py "$bin_dir/keyport" "$bin_dir/keyport-client"

mautrix_venv=.venv-mautrix
if [ ! -x "$mautrix_venv/bin/python" ]; then
  python3 -m venv "$mautrix_venv"
fi
"$mautrix_venv/bin/pip" install -q --disable-pip-version-check "mautrix[encryption]==0.21.1" "python-olm==3.2.16"
"$mautrix_venv/bin/python" tests/client_e2e/mautrix_e2e.py "$bin_dir/keyport" "$bin_dir/keyport-client"
