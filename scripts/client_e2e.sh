#!/usr/bin/env bash
# End to end for the client SDK: keyport-client devices and matrix-nio (E2EE, from PyPI) in one
# encrypted room on a freshly started Keyport (tests/client_e2e/client_e2e.py), then a second,
# independent client, mautrix-python with its `encryption` extra (python-olm), against the SDK on
# another fresh Keyport (tests/client_e2e/mautrix_e2e.py), then secret storage with mautrix on
# Keyport and on Synapse side by side (tests/client_e2e/mautrix_secrets.py), and key backup made by
# one mautrix device and restored by a new one on both, vodozemac doing the backup's encryption
# (tests/client_e2e/key_backup_restore.py). mautrix gets a venv of its own so its pins never move
# matrix-nio's.
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
"$mautrix_venv/bin/pip" install -q --disable-pip-version-check "mautrix[encryption]==0.21.1" "python-olm==3.2.16" \
  "vodozemac==0.10.0"
"$mautrix_venv/bin/python" tests/client_e2e/mautrix_e2e.py "$bin_dir/keyport" "$bin_dir/keyport-client"

# Secret storage with mautrix, on Keyport and on Synapse side by side: Synapse comes from the
# federation venv (the same pins as scripts/federation_interop.sh).
federation_venv=.venv-federation
if [ ! -x "$federation_venv/bin/python" ]; then
  python3 -m venv "$federation_venv"
fi
"$federation_venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0" "matrix-synapse==1.163.2"
command -v openssl > /dev/null || { echo "openssl is required (apt-get install openssl)"; exit 1; }
"$mautrix_venv/bin/python" tests/client_e2e/mautrix_secrets.py "$bin_dir/keyport" "$PWD/$federation_venv/bin/python"
# Key backup with mautrix (cross-signing, secret storage, Megolm, the crypto store) and vodozemac's
# PkEncryption/PkDecryption: a new mautrix device recovers the backup key from secret storage with
# the recovery key, restores the room key into its crypto store and decrypts a message sent before
# it existed, on Keyport and on Synapse side by side.
"$mautrix_venv/bin/python" tests/client_e2e/key_backup_restore.py "$bin_dir/keyport" "$PWD/$federation_venv/bin/python"
