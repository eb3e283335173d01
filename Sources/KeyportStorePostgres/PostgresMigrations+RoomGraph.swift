extension PostgresMigrations {
    /// Rooms become graphs of PDUs, as SQLite's "v15-room-graph" made them, with the same table and
    /// column names (the port copies by name). Rooms stored before have no version and events
    /// without PDUs: the room service rebuilds them at start-up (see `legacyRooms`). The state after
    /// each event is a chain of deltas (`room_state_groups`), cut by a full copy every so often
    /// (`StateGroupLayout`). `room_state_groups.id` is a BIGSERIAL: an identifier no reader pages by,
    /// so a sequence's gaps and commit order do not matter, and the port moves it past the copied ids.
    static let v10RoomGraph = Migration(
        name: "v10-room-graph",
        statements: [
            "ALTER TABLE rooms ADD COLUMN room_version TEXT",
            "ALTER TABLE room_events ADD COLUMN pdu_json TEXT",
            "ALTER TABLE room_events ADD COLUMN depth BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE room_events ADD COLUMN prev_events_json TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE room_events ADD COLUMN auth_events_json TEXT NOT NULL DEFAULT '[]'",
            "ALTER TABLE room_events ADD COLUMN outlier BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE room_events ADD COLUMN rejected_reason TEXT",
            "ALTER TABLE room_events ADD COLUMN soft_failed BOOLEAN NOT NULL DEFAULT FALSE",
            "ALTER TABLE room_events ADD COLUMN state_group BIGINT",
            """
            CREATE TABLE room_event_auth_edges (
                event_id TEXT NOT NULL,
                auth_event_id TEXT NOT NULL,
                PRIMARY KEY (event_id, auth_event_id)
            )
            """,
            """
            CREATE TABLE room_state_groups (
                id BIGSERIAL PRIMARY KEY,
                room_id TEXT NOT NULL,
                prev_group BIGINT,
                chain_length BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE room_state_group_entries (
                group_id BIGINT NOT NULL,
                type TEXT NOT NULL,
                state_key TEXT NOT NULL,
                event_id TEXT,
                PRIMARY KEY (group_id, type, state_key)
            )
            """,
            """
            CREATE TABLE room_forward_extremities (
                room_id TEXT NOT NULL,
                event_id TEXT NOT NULL,
                PRIMARY KEY (room_id, event_id)
            )
            """,
        ])
}
