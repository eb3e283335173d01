#!/usr/bin/env bash
# Federated-room interop scenarios (issue 11, tests/federated_rooms): two real homeservers over
# TLS on loopback (certificates checked against a throwaway CA), matrix-nio E2EE clients on both;
# encrypted rooms v12/v10/v11, invite and remote join, Megolm both ways, second/renamed/deleted
# devices, cross-signing, leave (exact device_lists), restarts with catch-up — each scenario in
# both directions. One PASS/FAIL line per scenario and direction; non-zero exit on any failure.
#
#   bash scripts/federated_rooms.sh                        # --pair synapse-synapse (the default)
#   bash scripts/federated_rooms.sh --pair keyport-synapse # Keyport on A, Synapse on B
#   bash scripts/federated_rooms.sh --pair keyport-keyport
#   bash scripts/federated_rooms.sh --scenario leave --direction a --keep
#
# Other arguments go to tests/federated_rooms/run.py (--help lists them). A Keyport pair builds
# keyport first unless --keyport-binary is given. The whole run is bounded:
# run.py stops itself after --timeout (600 s by default), and this script kills it 60 s later.
# Needs python3 with venv and openssl (Debian: python3-venv openssl); a Swift toolchain for Keyport.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-federation
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-nio[e2e]==0.26.0" "matrix-synapse==1.163.2"
command -v openssl > /dev/null || { echo "openssl is required (apt-get install openssl)"; exit 1; }

pair=synapse-synapse binary_given=false timeout=600
previous=""
for argument in "$@"; do
  case "$argument" in
    --pair=*) pair=${argument#--pair=} ;;
    --timeout=*) timeout=${argument#--timeout=} ;;
    --keyport-binary|--keyport-binary=*) binary_given=true ;;
  esac
  case "$previous" in
    --pair) pair=$argument ;;
    --timeout) timeout=$argument ;;
  esac
  previous=$argument
done

extra=()
if [ "$pair" != synapse-synapse ] && ! $binary_given; then
  swift build --product keyport
  extra=(--keyport-binary "$(swift build --show-bin-path)/keyport")
fi
hard_limit=$(python3 -c "import sys; print(int(float(sys.argv[1])) + 60)" "$timeout")
exec timeout --kill-after=15 "$hard_limit" "$venv/bin/python" tests/federated_rooms/run.py "$@" "${extra[@]}"
