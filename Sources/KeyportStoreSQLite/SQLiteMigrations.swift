import KeyportSQLite

/// The schema, one migration per released change. Never edit a registered migration: add one.
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE accounts (
                        user_id TEXT PRIMARY KEY NOT NULL,
                        user_id_lower TEXT NOT NULL UNIQUE,
                        password_hash TEXT,
                        is_admin INTEGER NOT NULL DEFAULT 0,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE devices (
                        user_id TEXT NOT NULL,
                        device_id TEXT NOT NULL,
                        display_name TEXT,
                        last_seen_ip TEXT,
                        last_seen_ts INTEGER,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, device_id)
                    );
                    CREATE TABLE access_tokens (
                        token_hash TEXT PRIMARY KEY NOT NULL,
                        user_id TEXT NOT NULL,
                        device_id TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);
                    CREATE TABLE device_keys (
                        user_id TEXT NOT NULL,
                        device_id TEXT NOT NULL,
                        ed25519 TEXT NOT NULL,
                        key_json TEXT NOT NULL,
                        PRIMARY KEY (user_id, device_id)
                    );
                    CREATE TABLE one_time_keys (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id TEXT NOT NULL,
                        device_id TEXT NOT NULL,
                        algorithm TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        key_json TEXT NOT NULL,
                        claimed_at INTEGER,
                        UNIQUE (user_id, device_id, key_id)
                    );
                    CREATE INDEX one_time_keys_unclaimed
                        ON one_time_keys (user_id, device_id, algorithm, seq) WHERE claimed_at IS NULL;
                    CREATE TABLE fallback_keys (
                        user_id TEXT NOT NULL,
                        device_id TEXT NOT NULL,
                        algorithm TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        key_json TEXT NOT NULL,
                        used INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (user_id, device_id, algorithm)
                    );
                    CREATE TABLE cross_signing_keys (
                        user_id TEXT NOT NULL,
                        usage TEXT NOT NULL,
                        public_key TEXT NOT NULL,
                        key_json TEXT NOT NULL,
                        PRIMARY KEY (user_id, usage)
                    );
                    CREATE TABLE key_signatures (
                        target_user_id TEXT NOT NULL,
                        target_key_id TEXT NOT NULL,
                        signer_user_id TEXT NOT NULL,
                        signer_key_id TEXT NOT NULL,
                        signature TEXT NOT NULL,
                        PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
                    );
                    CREATE TABLE device_list_stream (
                        stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        device_id TEXT,
                        room_id TEXT,
                        membership TEXT
                    );
                    CREATE TABLE room_memberships (
                        room_id TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        membership TEXT NOT NULL,
                        PRIMARY KEY (room_id, user_id)
                    );
                    CREATE INDEX room_memberships_user ON room_memberships (user_id, membership);
                    CREATE TABLE device_inbox (
                        stream_id INTEGER PRIMARY KEY AUTOINCREMENT,
                        user_id TEXT NOT NULL,
                        device_id TEXT NOT NULL,
                        sender TEXT NOT NULL,
                        type TEXT NOT NULL,
                        content_json TEXT NOT NULL
                    );
                    CREATE INDEX device_inbox_device ON device_inbox (user_id, device_id, stream_id);
                    """)
        }
        migrator.registerMigration("v2-to-device-and-rooms") { db in
            try db.execute(
                sql: """
                    CREATE TABLE to_device_txns (
                        user_id TEXT NOT NULL,
                        device_id TEXT NOT NULL,
                        txn_id TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        PRIMARY KEY (user_id, device_id, txn_id)
                    );
                    CREATE TABLE federation_outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        destination TEXT NOT NULL,
                        edu_type TEXT NOT NULL,
                        content_json TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE INDEX federation_outbox_destination ON federation_outbox (destination, id);
                    CREATE TABLE rooms (
                        room_id TEXT PRIMARY KEY NOT NULL,
                        creator TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE room_events (
                        ordering INTEGER PRIMARY KEY AUTOINCREMENT,
                        event_id TEXT NOT NULL UNIQUE,
                        room_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        state_key TEXT,
                        sender TEXT NOT NULL,
                        content_json TEXT NOT NULL,
                        origin_server_ts INTEGER NOT NULL,
                        txn_user_id TEXT,
                        txn_device_id TEXT,
                        txn_id TEXT
                    );
                    CREATE INDEX room_events_room ON room_events (room_id, ordering);
                    CREATE UNIQUE INDEX room_events_txn ON room_events (txn_user_id, txn_device_id, txn_id)
                        WHERE txn_id IS NOT NULL;
                    CREATE TABLE room_state (
                        room_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        state_key TEXT NOT NULL,
                        event_ordering INTEGER NOT NULL,
                        PRIMARY KEY (room_id, type, state_key)
                    );
                    ALTER TABLE room_memberships ADD COLUMN ordering INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE room_aliases (
                        alias TEXT PRIMARY KEY NOT NULL,
                        room_id TEXT NOT NULL
                    );
                    CREATE TABLE filters (
                        user_id TEXT NOT NULL,
                        filter_id TEXT NOT NULL,
                        filter_json TEXT NOT NULL,
                        PRIMARY KEY (user_id, filter_id)
                    );
                    """)
        }
        migrator.registerMigration("v3-membership-history-index") { db in
            try db.execute(
                sql: """
                    CREATE INDEX device_list_stream_membership
                        ON device_list_stream (room_id, user_id, stream_id) WHERE kind = 'membership';
                    """)
        }
        migrator.registerMigration("v4-room-txn-scope") { db in
            // A client transaction ID is scoped to the request path: device, room and event type.
            try db.execute(
                sql: """
                    DROP INDEX room_events_txn;
                    CREATE UNIQUE INDEX room_events_txn
                        ON room_events (txn_user_id, txn_device_id, txn_id, room_id, type) WHERE txn_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v5-membership-by-user-index") { db in
            try db.execute(
                sql: """
                    CREATE INDEX device_list_stream_membership_user
                        ON device_list_stream (user_id, room_id, stream_id) WHERE kind = 'membership';
                    """)
        }
        migrator.registerMigration("v6-federation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE server_keys (
                        server_name TEXT NOT NULL,
                        key_id TEXT NOT NULL,
                        public_key TEXT NOT NULL,
                        valid_until_ts INTEGER NOT NULL,
                        expired_ts INTEGER,
                        PRIMARY KEY (server_name, key_id)
                    );
                    CREATE TABLE federation_inbound_txns (
                        origin TEXT NOT NULL,
                        txn_id TEXT NOT NULL,
                        response_json TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        PRIMARY KEY (origin, txn_id)
                    );
                    CREATE INDEX federation_inbound_txns_age ON federation_inbound_txns (received_at);
                    CREATE TABLE federation_to_device_seen (
                        origin TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        PRIMARY KEY (origin, message_id)
                    );
                    CREATE INDEX federation_to_device_seen_age ON federation_to_device_seen (received_at);
                    CREATE TABLE device_list_outbound (
                        destination TEXT NOT NULL,
                        user_id TEXT NOT NULL,
                        last_stream_id INTEGER NOT NULL,
                        PRIMARY KEY (destination, user_id)
                    );
                    CREATE TABLE federation_positions (
                        name TEXT PRIMARY KEY NOT NULL,
                        position INTEGER NOT NULL
                    );
                    CREATE TABLE remote_device_lists (
                        user_id TEXT PRIMARY KEY NOT NULL,
                        stream_id INTEGER NOT NULL,
                        stale INTEGER NOT NULL,
                        master_key_json TEXT,
                        self_signing_key_json TEXT
                    );
                    CREATE TABLE remote_devices (
                        user_id TEXT NOT NULL,
                        device_id TEXT NOT NULL,
                        display_name TEXT,
                        keys_json TEXT,
                        PRIMARY KEY (user_id, device_id)
                    );
                    CREATE TABLE remote_device_list_seen (
                        user_id TEXT NOT NULL,
                        stream_id INTEGER NOT NULL,
                        PRIMARY KEY (user_id, stream_id)
                    );
                    """)
        }
        migrator.registerMigration("v7-account-deactivation") { db in
            try db.execute(sql: "ALTER TABLE accounts ADD COLUMN deactivated INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v8-shared-auth-state") { db in
            try db.execute(
                sql: """
                    CREATE TABLE uia_sessions (
                        session_id TEXT PRIMARY KEY NOT NULL,
                        created_at INTEGER NOT NULL,
                        completed_json TEXT NOT NULL
                    );
                    CREATE TABLE registration_nonces (
                        nonce TEXT PRIMARY KEY NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v9-leases") { db in
            try db.execute(
                sql: """
                    CREATE TABLE leases (
                        name TEXT PRIMARY KEY NOT NULL,
                        holder TEXT NOT NULL,
                        fence INTEGER NOT NULL,
                        expires_at INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v10-destination-retry") { db in
            try db.execute(
                sql: """
                    CREATE TABLE destination_retry (
                        destination TEXT PRIMARY KEY NOT NULL,
                        failure_ts INTEGER NOT NULL,
                        retry_last_ts INTEGER NOT NULL,
                        retry_interval INTEGER NOT NULL,
                        failures INTEGER NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v11-account-data") { db in
            // room_id '' is global account data: a primary key column cannot hold NULL usefully.
            try db.execute(
                sql: """
                    CREATE TABLE account_data (
                        user_id TEXT NOT NULL,
                        room_id TEXT NOT NULL,
                        type TEXT NOT NULL,
                        content_json TEXT NOT NULL,
                        stream_id INTEGER NOT NULL,
                        PRIMARY KEY (user_id, room_id, type)
                    );
                    CREATE INDEX account_data_by_position ON account_data (user_id, stream_id);
                    CREATE TABLE account_data_position (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        position INTEGER NOT NULL
                    );
                    INSERT INTO account_data_position (id, position) VALUES (1, 0);
                    """)
        }
        migrator.registerMigration("v12-profiles") { db in
            try db.execute(sql: "ALTER TABLE accounts ADD COLUMN displayname TEXT")
            try db.execute(sql: "ALTER TABLE accounts ADD COLUMN avatar_url TEXT")
        }
        migrator.registerMigration("v13-key-backup") { db in
            // A deleted version keeps its row (deleted = 1) so its number is never given again.
            // etag and key_count are kept on the version row, changed in the transaction that
            // changes the keys, so answers never count the keys.
            try db.execute(
                sql: """
                    CREATE TABLE key_backup_versions (
                        user_id TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        algorithm TEXT NOT NULL,
                        auth_data_json TEXT NOT NULL,
                        etag INTEGER NOT NULL DEFAULT 0,
                        key_count INTEGER NOT NULL DEFAULT 0,
                        deleted INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (user_id, version)
                    );
                    CREATE TABLE key_backup_sessions (
                        user_id TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        room_id TEXT NOT NULL,
                        session_id TEXT NOT NULL,
                        first_message_index INTEGER NOT NULL,
                        forwarded_count INTEGER NOT NULL,
                        is_verified INTEGER NOT NULL,
                        session_data_json TEXT NOT NULL,
                        PRIMARY KEY (user_id, version, room_id, session_id)
                    );
                    """)
        }
        migrator.registerMigration("v14-dehydrated-devices") { db in
            // One per user (MSC3814); the device itself is a row of `devices` without a token.
            try db.execute(
                sql: """
                    CREATE TABLE dehydrated_devices (
                        user_id TEXT PRIMARY KEY NOT NULL,
                        device_id TEXT NOT NULL,
                        device_data_json TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    """)
        }
        registerRoomMigrations(in: &migrator)
        registerAppServiceMigrations(in: &migrator)
        return migrator
    }
}
