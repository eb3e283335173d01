#!/usr/bin/env bash
# End-to-end check of the built executable: the default `serve` answers on 127.0.0.1:8008 and
# registers a user; an invalid configuration exits with status 2; generate-config output loads.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(swift build --show-bin-path)/keyport
[ -x "$bin" ] || swift build --product keyport
work=$(mktemp -d)
trap 'kill "${pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

printf 'server_name: 5\nlisteners: nope\n' > "$work/bad.yaml"
set +e
"$bin" serve --config "$work/bad.yaml" 2> "$work/bad.err"
status=$?
set -e
[ "$status" -eq 2 ] || { echo "invalid config exited $status, expected 2"; cat "$work/bad.err"; exit 1; }
grep -q "Invalid configuration" "$work/bad.err"

# An application service registration that cannot be used stops start-up too, naming the file.
printf 'id: bridge\nurl: null\nas_token: a\nhs_token: h\nsender_localpart: bot\nnamespaces:\n  users:\n    - regex: "@(unclosed"\n      exclusive: true\n' > "$work/bridge.yaml"
printf 'server_name: example.org\napp_service_config_files: ["%s"]\n' "$work/bridge.yaml" > "$work/with-bridge.yaml"
set +e
"$bin" serve --config "$work/with-bridge.yaml" 2> "$work/bridge.err"
status=$?
set -e
[ "$status" -eq 2 ] || { echo "a bad registration exited $status, expected 2"; cat "$work/bridge.err"; exit 1; }
grep -q "registration $work/bridge.yaml: namespaces.users\[0\]" "$work/bridge.err" \
  || { echo "the error does not name the file and entry:"; cat "$work/bridge.err"; exit 1; }

"$bin" generate-config --server-name example.org > "$work/generated.yaml"
grep -q 'server_name: "example.org"' "$work/generated.yaml"

(cd "$work" && exec "$bin" serve > serve.log 2>&1) &
pid=$!
for _ in $(seq 1 50); do
  curl -fsS http://127.0.0.1:8008/_matrix/client/versions > /dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS http://127.0.0.1:8008/_matrix/client/versions | grep -q '"v1.1"'
reply=$(curl -sS -X POST http://127.0.0.1:8008/_matrix/client/v3/register \
  -d '{"username":"smoke","password":"smoke-password","auth":{"type":"m.login.dummy"}}')
echo "$reply" | grep -q '"user_id":"@smoke:localhost:8008"' || { echo "register failed: $reply"; exit 1; }
[ -f "$work/keyport-data/signing.key" ] || { echo "no signing key generated"; exit 1; }
grep -q "POST /_matrix/client/v3/register 200" "$work/serve.log"
echo "smoke test ok: serve, register, invalid config, invalid appservice registration, generate-config"
