#!/usr/bin/env python3
"""Configuration files for the benchmark's servers: usage configs.py KIND DIR PORT."""
import os
import sys

kind, directory, port = sys.argv[1], sys.argv[2], sys.argv[3]
high = "{per_second: 100000, burst_count: 100000}"

if kind.startswith("keyport-"):
    # Several processes of one server share the directory and the database: their configurations
    # differ only in the listener's port.
    if kind == "keyport-postgres":
        database = (f"{{name: psycopg2, args: {{user: postgres, host: 127.0.0.1, port: {os.environ['BENCH_PGPORT']}, "
                    f"dbname: {os.environ['BENCH_PGDATABASE']}, cp_min: 5, cp_max: 10}}}}")
    else:
        database = f"{{name: sqlite3, args: {{database: {directory}/keyport.db}}}}"
    # `keyport-sqlite-logged` logs a line per request (to the log file run.sh gives it); the others
    # log warnings only.
    log_level = "info" if kind.endswith("-logged") else "warning"
    # `keyport-fanout` sends federation to keyport-bench's stub servers on 127.0.0.0/8 (refused
    # by default, as private addresses are), over TLS checked against the CA keyport-bench made.
    federation = ""
    if kind == "keyport-fanout":
        federation = f"""ip_range_whitelist: ['127.0.0.0/8']
federation_custom_ca_list: [{directory}/fanout-ca/ca.pem]
"""
    print(f"""server_name: "localhost"
listeners: [{{port: {port}, bind_addresses: ['127.0.0.1'], type: http}}]
database: {database}
signing_key_path: {directory}/signing.key
enable_registration: true
enable_registration_without_verification: true
rc_login: {high}
rc_registration: {high}
rc_key_claim: {high}
password_config: {{pbkdf2_rounds: 1000}}
log_level: {log_level}
{federation}""")
elif kind.startswith("synapse-") and kind != "synapse-log":
    if kind == "synapse-postgres":
        database = f"""database:
  name: psycopg2
  args: {{user: postgres, host: 127.0.0.1, port: {os.environ['BENCH_PGPORT']}, database: synapse, cp_min: 5, cp_max: 10}}"""
    else:
        database = f"""database:
  name: sqlite3
  args: {{database: {directory}/homeserver.db}}"""
    print(f"""server_name: "localhost:{port}"
pid_file: {directory}/homeserver.pid
listeners:
  - port: {port}
    tls: false
    type: http
    x_forwarded: false
    bind_addresses: ['127.0.0.1']
    resources: [{{names: [client], compress: false}}]
{database}
log_config: {directory}/log.config
media_store_path: {directory}/media
signing_key_path: {directory}/signing.key
trusted_key_servers: []
suppress_key_server_warning: true
report_stats: false
enable_registration: true
enable_registration_without_verification: true
bcrypt_rounds: 4
rc_message: {high}
rc_registration: {high}
rc_login:
  address: {high}
  account: {high}
  failed_attempts: {high}
rc_joins:
  local: {high}
  remote: {high}
rc_invites:
  per_room: {high}
  per_user: {high}
rc_key_requests: {high}
""")
elif kind == "synapse-log":
    print("""version: 1
formatters:
  precise: {format: '%(asctime)s - %(name)s - %(levelname)s - %(message)s'}
handlers:
  console: {class: logging.StreamHandler, formatter: precise}
root: {level: WARNING, handlers: [console]}
disable_existing_loggers: false
""")
else:
    raise SystemExit(f"unknown kind {kind}")
