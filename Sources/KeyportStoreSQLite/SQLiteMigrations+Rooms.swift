import KeyportSQLite

extension SQLiteMigrations {
    /// The migrations that made rooms graphs of PDUs and queued them for other servers (issue 11),
    /// in registration order after v14.
    static func registerRoomMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v15-room-graph") { db in
            // Rooms become graphs of PDUs. Rooms stored before have no version and events without
            // PDUs: the room service rebuilds them at start-up (see `legacyRooms`). Room state after
            // each event is a chain of deltas (`room_state_groups`), cut by a full copy every so often.
            try db.execute(
                sql: """
                    ALTER TABLE rooms ADD COLUMN room_version TEXT;
                    ALTER TABLE room_events ADD COLUMN pdu_json TEXT;
                    ALTER TABLE room_events ADD COLUMN depth INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE room_events ADD COLUMN prev_events_json TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE room_events ADD COLUMN auth_events_json TEXT NOT NULL DEFAULT '[]';
                    ALTER TABLE room_events ADD COLUMN outlier INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE room_events ADD COLUMN rejected_reason TEXT;
                    ALTER TABLE room_events ADD COLUMN soft_failed INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE room_events ADD COLUMN state_group INTEGER;
                    CREATE TABLE room_event_auth_edges (
                        event_id TEXT NOT NULL,
                        auth_event_id TEXT NOT NULL,
                        PRIMARY KEY (event_id, auth_event_id)
                    );
                    CREATE TABLE room_state_groups (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        room_id TEXT NOT NULL,
                        prev_group INTEGER,
                        chain_length INTEGER NOT NULL
                    );
                    CREATE TABLE room_state_group_entries (
                        group_id INTEGER NOT NULL,
                        type TEXT NOT NULL,
                        state_key TEXT NOT NULL,
                        event_id TEXT,
                        PRIMARY KEY (group_id, type, state_key)
                    );
                    CREATE TABLE room_forward_extremities (
                        room_id TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        PRIMARY KEY (room_id, event_id)
                    );
                    """)
        }
        migrator.registerMigration("v16-outbound-pdus") { db in
            // Room events waiting to be sent, per destination, in queue order. An entry names the
            // event; its PDU stays in `room_events.pdu_json` and is read with the entry.
            try db.execute(
                sql: """
                    CREATE TABLE federation_pdu_outbox (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        destination TEXT NOT NULL,
                        event_id TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        UNIQUE (destination, event_id)
                    );
                    CREATE INDEX federation_pdu_outbox_destination ON federation_pdu_outbox (destination, id);
                    """)
        }
    }
}
