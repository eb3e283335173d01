#!/usr/bin/env bash
# Cross-checks KeyportClientCrypto against two independent implementations from PyPI (pinned in
# tests/crypto_oracle/requirements.txt): vodozemac (Rust) and libolm through python-olm (C++).
# Builds the keyport-crypto-oracle executable, installs both bindings in .venv-crypto-oracle, and
# lets tests/crypto_oracle/oracle.py (vodozemac) and olm_oracle.py (python-olm) each play the other
# side of Megolm and Olm conversations. Both always run, each printing its own counts; exits
# non-zero when either peer had a mismatch or ran no exchange.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-crypto-oracle
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/crypto_oracle/requirements.txt

swift build --product keyport-crypto-oracle
binary="$(swift build --show-bin-path)/keyport-crypto-oracle"

failed=()
"$venv/bin/python" tests/crypto_oracle/oracle.py "$binary" || failed+=(vodozemac)
"$venv/bin/python" tests/crypto_oracle/olm_oracle.py "$binary" || failed+=(python-olm)
if [ ${#failed[@]} -gt 0 ]; then
    echo "crypto oracle: FAILED against ${failed[*]}" >&2
    exit 1
fi
echo "crypto oracle: vodozemac and python-olm both agreed"
