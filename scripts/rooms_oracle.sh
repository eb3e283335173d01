#!/usr/bin/env bash
# Differential test of MatrixRooms against Synapse: generate a FRESH random batch of vectors
# with Synapse's own code as the oracle (event IDs, redaction, content hashes, auth rules,
# state resolution v2 / v2.1) and replay every case through `keyport events <kind> FILE`.
#   scripts/rooms_oracle.sh                 # against .build/debug/keyport (build it first)
#   scripts/rooms_oracle.sh --self-check    # against Synapse itself (checks the pipeline)
# Env: ROOMS_ORACLE_SEED (reproduce a run), KEYPORT (binary), ROOMS_ORACLE_OUT (keep vectors),
#      ROOMS_ORACLE_DAGS / _AUTH / _ID (batch sizes). Needs python3 with venv.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--self-check" ]; then
  target=(--self-check)
else
  keyport=${KEYPORT:-.build/debug/keyport}
  if [ ! -x "$keyport" ]; then
    echo "no executable $keyport: build it first (swift build --product keyport)" >&2
    exit 1
  fi
  target=(--keyport "$keyport")
fi
venv=.venv-rooms-oracle
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check "matrix-synapse==1.163.2"

seed=${ROOMS_ORACLE_SEED:-$(( $(date +%s) * 32768 + RANDOM ))}
echo "rooms oracle seed: $seed  (reproduce with ROOMS_ORACLE_SEED=$seed $0 $*)"
out=${ROOMS_ORACLE_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/rooms-oracle.XXXXXX")}
"$venv/bin/python" tests/rooms_oracle/generate.py --seed "$seed" --out "$out" \
  --dags "${ROOMS_ORACLE_DAGS:-330}" --auth-cases "${ROOMS_ORACLE_AUTH:-330}" \
  --id-cases "${ROOMS_ORACLE_ID:-100}" \
  --command "ROOMS_ORACLE_SEED=$seed scripts/rooms_oracle.sh"

status=0
"$venv/bin/python" tests/rooms_oracle/compare.py "${target[@]}" "$out" || status=$?
if [ "$status" -ne 0 ]; then
  echo "rooms oracle FAILED with seed $seed; vectors kept in $out" >&2
elif [ -z "${ROOMS_ORACLE_OUT:-}" ]; then
  rm -rf "$out"
fi
exit "$status"
