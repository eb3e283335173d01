extension PostgresMigrations {
    /// Application-service transactions, as SQLite's "v17-appservice-state" made them (the port
    /// copies by name): one row per service with its stream positions, last transaction ID, the
    /// transaction built and not yet acknowledged, and its backoff.
    static let v12AppServiceState = Migration(
        name: "v12-appservice-state",
        statements: [
            """
            CREATE TABLE appservice_state (
                service_id TEXT PRIMARY KEY,
                room_position BIGINT NOT NULL,
                to_device_position BIGINT NOT NULL,
                device_list_position BIGINT NOT NULL,
                last_txn_id BIGINT NOT NULL,
                pending_txn_id BIGINT,
                pending_body TEXT,
                pending_room_position BIGINT,
                pending_to_device_position BIGINT,
                pending_device_list_position BIGINT,
                pending_to_device_json TEXT,
                failures BIGINT NOT NULL,
                retry_at BIGINT NOT NULL
            )
            """
        ])
}
