/// The migrations themselves, in the order they are applied; `PostgresMigrations` runs them.
extension PostgresMigrations {
    static let all: [Migration] = [
        Migration(
            name: "v1-schema",
            statements: [
                """
                CREATE TABLE stream_positions (
                    stream TEXT PRIMARY KEY,
                    position BIGINT NOT NULL
                )
                """,
                """
                INSERT INTO stream_positions (stream, position)
                VALUES ('room_events', 0), ('device_list', 0), ('to_device', 0), ('federation_outbox', 0)
                """,
                """
                CREATE TABLE accounts (
                    user_id TEXT PRIMARY KEY,
                    user_id_lower TEXT NOT NULL UNIQUE,
                    password_hash TEXT,
                    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE devices (
                    user_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    display_name TEXT,
                    last_seen_ip TEXT,
                    last_seen_ts BIGINT,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (user_id, device_id)
                )
                """,
                """
                CREATE TABLE access_tokens (
                    token_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id)",
                """
                CREATE TABLE device_keys (
                    user_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    ed25519 TEXT NOT NULL,
                    key_json TEXT NOT NULL,
                    PRIMARY KEY (user_id, device_id)
                )
                """,
                """
                CREATE TABLE one_time_keys (
                    seq BIGSERIAL PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    algorithm TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    key_json TEXT NOT NULL,
                    claimed_at BIGINT,
                    UNIQUE (user_id, device_id, key_id)
                )
                """,
                """
                CREATE INDEX one_time_keys_unclaimed
                    ON one_time_keys (user_id, device_id, algorithm, seq) WHERE claimed_at IS NULL
                """,
                """
                CREATE TABLE fallback_keys (
                    user_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    algorithm TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    key_json TEXT NOT NULL,
                    used BOOLEAN NOT NULL DEFAULT FALSE,
                    PRIMARY KEY (user_id, device_id, algorithm)
                )
                """,
                """
                CREATE TABLE cross_signing_keys (
                    user_id TEXT NOT NULL,
                    usage TEXT NOT NULL,
                    public_key TEXT NOT NULL,
                    key_json TEXT NOT NULL,
                    PRIMARY KEY (user_id, usage)
                )
                """,
                """
                CREATE TABLE key_signatures (
                    target_user_id TEXT NOT NULL,
                    target_key_id TEXT NOT NULL,
                    signer_user_id TEXT NOT NULL,
                    signer_key_id TEXT NOT NULL,
                    signature TEXT NOT NULL,
                    PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
                )
                """,
                "CREATE INDEX key_signatures_signer ON key_signatures (signer_user_id, signer_key_id)",
                """
                CREATE TABLE device_list_stream (
                    stream_id BIGINT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    device_id TEXT,
                    room_id TEXT,
                    membership TEXT
                )
                """,
                """
                CREATE INDEX device_list_stream_membership
                    ON device_list_stream (room_id, user_id, stream_id) WHERE kind = 'membership'
                """,
                """
                CREATE INDEX device_list_stream_membership_user
                    ON device_list_stream (user_id, room_id, stream_id) WHERE kind = 'membership'
                """,
                "CREATE INDEX device_list_stream_user ON device_list_stream (user_id, stream_id)",
                """
                CREATE TABLE room_memberships (
                    room_id TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    membership TEXT NOT NULL,
                    ordering BIGINT NOT NULL DEFAULT 0,
                    PRIMARY KEY (room_id, user_id)
                )
                """,
                "CREATE INDEX room_memberships_user ON room_memberships (user_id, membership)",
                """
                CREATE TABLE device_inbox (
                    stream_id BIGINT PRIMARY KEY,
                    user_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    type TEXT NOT NULL,
                    content_json TEXT NOT NULL
                )
                """,
                "CREATE INDEX device_inbox_device ON device_inbox (user_id, device_id, stream_id)",
                """
                CREATE TABLE to_device_txns (
                    user_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    txn_id TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (user_id, device_id, txn_id)
                )
                """,
                """
                CREATE TABLE federation_outbox (
                    id BIGINT PRIMARY KEY,
                    destination TEXT NOT NULL,
                    edu_type TEXT NOT NULL,
                    content_json TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX federation_outbox_destination ON federation_outbox (destination, id)",
                """
                CREATE TABLE rooms (
                    room_id TEXT PRIMARY KEY,
                    creator TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE room_events (
                    ordering BIGINT PRIMARY KEY,
                    event_id TEXT NOT NULL UNIQUE,
                    room_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    state_key TEXT,
                    sender TEXT NOT NULL,
                    content_json TEXT NOT NULL,
                    origin_server_ts BIGINT NOT NULL,
                    txn_user_id TEXT,
                    txn_device_id TEXT,
                    txn_id TEXT
                )
                """,
                "CREATE INDEX room_events_room ON room_events (room_id, ordering)",
                """
                CREATE INDEX room_events_member ON room_events (room_id, state_key, ordering)
                    WHERE type = 'm.room.member'
                """,
                """
                CREATE UNIQUE INDEX room_events_txn
                    ON room_events (txn_user_id, txn_device_id, txn_id, room_id, type) WHERE txn_id IS NOT NULL
                """,
                """
                CREATE TABLE room_state (
                    room_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    state_key TEXT NOT NULL,
                    event_ordering BIGINT NOT NULL,
                    PRIMARY KEY (room_id, type, state_key)
                )
                """,
                """
                CREATE TABLE room_aliases (
                    alias TEXT PRIMARY KEY,
                    room_id TEXT NOT NULL
                )
                """,
                """
                CREATE TABLE filters (
                    user_id TEXT NOT NULL,
                    filter_id TEXT NOT NULL,
                    filter_json TEXT NOT NULL,
                    PRIMARY KEY (user_id, filter_id)
                )
                """,
                """
                CREATE TABLE server_keys (
                    server_name TEXT NOT NULL,
                    key_id TEXT NOT NULL,
                    public_key TEXT NOT NULL,
                    valid_until_ts BIGINT NOT NULL,
                    expired_ts BIGINT,
                    PRIMARY KEY (server_name, key_id)
                )
                """,
                """
                CREATE TABLE federation_inbound_txns (
                    origin TEXT NOT NULL,
                    txn_id TEXT NOT NULL,
                    response_json TEXT NOT NULL,
                    received_at BIGINT NOT NULL,
                    PRIMARY KEY (origin, txn_id)
                )
                """,
                "CREATE INDEX federation_inbound_txns_age ON federation_inbound_txns (received_at)",
                """
                CREATE TABLE federation_to_device_seen (
                    origin TEXT NOT NULL,
                    message_id TEXT NOT NULL,
                    received_at BIGINT NOT NULL,
                    PRIMARY KEY (origin, message_id)
                )
                """,
                "CREATE INDEX federation_to_device_seen_age ON federation_to_device_seen (received_at)",
                """
                CREATE TABLE device_list_outbound (
                    destination TEXT NOT NULL,
                    user_id TEXT NOT NULL,
                    last_stream_id BIGINT NOT NULL,
                    PRIMARY KEY (destination, user_id)
                )
                """,
                """
                CREATE TABLE federation_positions (
                    name TEXT PRIMARY KEY,
                    position BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE remote_device_lists (
                    user_id TEXT PRIMARY KEY,
                    stream_id BIGINT NOT NULL,
                    stale BOOLEAN NOT NULL,
                    master_key_json TEXT,
                    self_signing_key_json TEXT
                )
                """,
                """
                CREATE TABLE remote_devices (
                    user_id TEXT NOT NULL,
                    device_id TEXT NOT NULL,
                    display_name TEXT,
                    keys_json TEXT,
                    PRIMARY KEY (user_id, device_id)
                )
                """,
                """
                CREATE TABLE remote_device_list_seen (
                    user_id TEXT NOT NULL,
                    stream_id BIGINT NOT NULL,
                    PRIMARY KEY (user_id, stream_id)
                )
                """,
            ]),
        Migration(
            name: "v2-account-deactivation",
            statements: ["ALTER TABLE accounts ADD COLUMN deactivated BOOLEAN NOT NULL DEFAULT FALSE"]),
        Migration(
            name: "v3-shared-auth-state",
            statements: [
                """
                CREATE TABLE uia_sessions (
                    session_id TEXT PRIMARY KEY,
                    created_at BIGINT NOT NULL,
                    completed TEXT[] NOT NULL
                )
                """,
                "CREATE TABLE registration_nonces (nonce TEXT PRIMARY KEY, created_at BIGINT NOT NULL)",
            ]),
        Migration(
            name: "v4-leases",
            statements: [
                """
                CREATE TABLE leases (
                    name TEXT PRIMARY KEY,
                    holder TEXT NOT NULL,
                    fence BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """
            ]),
        Migration(
            name: "v5-destination-retry",
            statements: [
                """
                CREATE TABLE destination_retry (
                    destination TEXT PRIMARY KEY,
                    failure_ts BIGINT NOT NULL,
                    retry_last_ts BIGINT NOT NULL,
                    retry_interval BIGINT NOT NULL,
                    failures BIGINT NOT NULL
                )
                """
            ]),
        Migration(
            name: "v6-account-data",
            statements: [
                "INSERT INTO stream_positions (stream, position) VALUES ('account_data', 0)",
                // room_id '' is global account data: a primary key column cannot hold NULL.
                """
                CREATE TABLE account_data (
                    user_id TEXT NOT NULL,
                    room_id TEXT NOT NULL,
                    type TEXT NOT NULL,
                    content_json TEXT NOT NULL,
                    stream_id BIGINT NOT NULL,
                    PRIMARY KEY (user_id, room_id, type)
                )
                """,
                "CREATE INDEX account_data_by_position ON account_data (user_id, stream_id)",
            ]),
        Migration(
            name: "v7-profiles",
            statements: [
                "ALTER TABLE accounts ADD COLUMN displayname TEXT",
                "ALTER TABLE accounts ADD COLUMN avatar_url TEXT",
            ]),
        Migration(
            name: "v8-key-backup",
            statements: [
                """
                CREATE TABLE key_backup_versions (
                    user_id TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    algorithm TEXT NOT NULL,
                    auth_data_json TEXT NOT NULL,
                    etag BIGINT NOT NULL DEFAULT 0,
                    key_count BIGINT NOT NULL DEFAULT 0,
                    deleted BOOLEAN NOT NULL DEFAULT FALSE,
                    PRIMARY KEY (user_id, version)
                )
                """,
                """
                CREATE TABLE key_backup_sessions (
                    user_id TEXT NOT NULL,
                    version BIGINT NOT NULL,
                    room_id TEXT NOT NULL,
                    session_id TEXT NOT NULL,
                    first_message_index BIGINT NOT NULL,
                    forwarded_count BIGINT NOT NULL,
                    is_verified BOOLEAN NOT NULL,
                    session_data_json TEXT NOT NULL,
                    PRIMARY KEY (user_id, version, room_id, session_id)
                )
                """,
            ]),
        Migration(
            name: "v9-dehydrated-devices",
            statements: [
                """
                CREATE TABLE dehydrated_devices (
                    user_id TEXT PRIMARY KEY,
                    device_id TEXT NOT NULL,
                    device_data_json TEXT NOT NULL,
                    created_at BIGINT NOT NULL
                )
                """
            ]),
        v10RoomGraph,
        v11OutboundPDUs,
        v12AppServiceState,
    ]
}
