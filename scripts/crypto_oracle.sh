#!/usr/bin/env bash
# Cross-checks KeyportClientCrypto against vodozemac from PyPI (pinned in
# tests/crypto_oracle/requirements.txt): builds the keyport-crypto-oracle executable, installs the
# bindings in .venv-crypto-oracle, and lets tests/crypto_oracle/oracle.py play the other side of
# Megolm and Olm conversations. Exits non-zero on any mismatch or when no exchange ran.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-crypto-oracle
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/crypto_oracle/requirements.txt

swift build --product keyport-crypto-oracle
binary="$(swift build --show-bin-path)/keyport-crypto-oracle"

"$venv/bin/python" tests/crypto_oracle/oracle.py "$binary"
