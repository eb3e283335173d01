import KeyportSQLite

extension SQLiteMigrations {
    /// The migrations of application-service transactions (issue 12), after v16.
    static func registerAppServiceMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v17-appservice-state") { db in
            // One row per application service: the stream positions it was sent up to, its last
            // transaction ID, the transaction built and not yet acknowledged (the exact body, the
            // positions it moves to, the inbox messages it delivers as a JSON array of stream IDs),
            // and the backoff.
            try db.execute(
                sql: """
                    CREATE TABLE appservice_state (
                        service_id TEXT PRIMARY KEY NOT NULL,
                        room_position INTEGER NOT NULL,
                        to_device_position INTEGER NOT NULL,
                        device_list_position INTEGER NOT NULL,
                        last_txn_id INTEGER NOT NULL,
                        pending_txn_id INTEGER,
                        pending_body TEXT,
                        pending_room_position INTEGER,
                        pending_to_device_position INTEGER,
                        pending_device_list_position INTEGER,
                        pending_to_device_json TEXT,
                        failures INTEGER NOT NULL,
                        retry_at INTEGER NOT NULL
                    );
                    """)
        }
    }
}
