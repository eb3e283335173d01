/// What the port does with each table, decided here by name: every table of the SQLite schema is
/// either ported or skipped with a reason. A table added to the schema without a decision fails
/// `PortPlanTests`, and the port refuses a database holding one.
///
/// SQLite's own tables are not part of the schema. One of them still matters: `sqlite_sequence`
/// holds the highest value each `AUTOINCREMENT` column ever gave out, deleted rows included; the
/// port moves PostgreSQL's stream counters and sequences past those values, so positions never
/// go backwards for a client holding an old sync token.
public enum PortPlan {
    /// A table copied row for row into the PostgreSQL table of the same name.
    public struct PortedTable: Sendable {
        public let name: String
        /// SQLite column → PostgreSQL column, where the engines name a column differently.
        public let renamedColumns: [String: String]

        init(_ name: String, renamedColumns: [String: String] = [:]) {
            self.name = name
            self.renamedColumns = renamedColumns
        }
    }

    /// The tables copied, in the order of the SQLite migrations that made them.
    public static let ported: [PortedTable] = [
        PortedTable("accounts"),
        PortedTable("devices"),
        PortedTable("access_tokens"),
        PortedTable("device_keys"),
        PortedTable("one_time_keys"),
        PortedTable("fallback_keys"),
        PortedTable("cross_signing_keys"),
        PortedTable("key_signatures"),
        PortedTable("device_list_stream"),
        PortedTable("room_memberships"),
        PortedTable("device_inbox"),
        PortedTable("to_device_txns"),
        PortedTable("federation_outbox"),
        PortedTable("rooms"),
        PortedTable("room_events"),
        PortedTable("room_state"),
        PortedTable("room_aliases"),
        PortedTable("filters"),
        PortedTable("server_keys"),
        PortedTable("federation_inbound_txns"),
        PortedTable("federation_to_device_seen"),
        PortedTable("device_list_outbound"),
        PortedTable("federation_positions"),
        PortedTable("remote_device_lists"),
        PortedTable("remote_devices"),
        PortedTable("remote_device_list_seen"),
        // PostgreSQL keeps the completed stages as a text[], SQLite as JSON text.
        PortedTable("uia_sessions", renamedColumns: ["completed_json": "completed"]),
        PortedTable("registration_nonces"),
        PortedTable("destination_retry"),
        PortedTable("account_data"),
        PortedTable("key_backup_versions"),
        PortedTable("key_backup_sessions"),
        PortedTable("dehydrated_devices"),
        PortedTable("room_event_auth_edges"),
        PortedTable("room_state_groups"),
        PortedTable("room_state_group_entries"),
        PortedTable("room_forward_extremities"),
        PortedTable("federation_pdu_outbox"),
        PortedTable("appservice_state"),
    ]

    /// The SQLite tables not copied, with the reason.
    public static let skipped: [String: String] = [
        "grdb_migrations":
            "SQLite's record of its migrations; PostgreSQL keeps its own in keyport_migrations, written as its schema is made",
        "leases":
            "held by the processes of the deployment being ported, which are stopped: the new processes take leases afresh",
        "account_data_position":
            "SQLite's account-data counter; PostgreSQL's stream_positions counter is moved past every copied stream_id",
    ]

    /// The PostgreSQL tables no SQLite table fills, with the reason. The port refuses a PostgreSQL
    /// schema with any other table, since its rows would have no source.
    public static let postgresOnly: [String: String] = [
        "keyport_migrations": "PostgreSQL's record of its migrations, written as its schema is made",
        "stream_positions": "the stream counters, moved past every copied position at the end of the copy",
        "leases": "taken afresh by the new processes; the old deployment's processes are stopped",
    ]

    /// The SQLite tables that are neither ported nor skipped.
    public static func undecided(among tables: [String]) -> [String] {
        let decided = Set(ported.map(\.name)).union(skipped.keys)
        return tables.filter { !decided.contains($0) }.sorted()
    }
}
