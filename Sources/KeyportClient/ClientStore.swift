import Foundation
import KeyportSQLite

/// The client's durable state in one SQLite file (KeyportSQLite, the package's own thin layer over
/// SQLite, in place of GRDB): the login and `since` token, the Olm account and sessions, Megolm
/// sessions, the device list, room membership and the event timeline.
///
/// Crypto state lives in the same database as the events, so a ratchet step and the event that
/// caused it commit in one transaction: after a crash either both are there or neither is, and the
/// server's replay of an unacknowledged `since` finds the old state again.
public final class ClientStore: Sendable {
    public let pool: DatabasePool

    /// Opens (creating if needed) `directory/client.sqlite3` and brings its schema up to date.
    public init(directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        pool = try DatabasePool(path: (directory as NSString).appendingPathComponent("client.sqlite3"))
        try Self.migrator.migrate(pool)
    }

    /// Runs `body` in one write transaction.
    public func write<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        try await pool.write { db in try body(StoreTransaction(db: db)) }
    }

    /// Runs `body` in one read transaction.
    public func read<T: Sendable>(_ body: @escaping @Sendable (StoreTransaction) throws -> T) async throws -> T {
        try await pool.read { db in try body(StoreTransaction(db: db)) }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("client-v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE olm_account (id INTEGER PRIMARY KEY CHECK (id = 1), pickle TEXT NOT NULL);
                    CREATE TABLE olm_sessions (
                        session_id TEXT PRIMARY KEY, sender_key TEXT NOT NULL, pickle TEXT NOT NULL,
                        last_used INTEGER NOT NULL);
                    CREATE INDEX olm_sessions_sender ON olm_sessions (sender_key);
                    CREATE TABLE devices (
                        user_id TEXT NOT NULL, device_id TEXT NOT NULL, curve25519 TEXT NOT NULL,
                        ed25519 TEXT NOT NULL, display_name TEXT, cross_signed INTEGER NOT NULL DEFAULT 0,
                        deleted INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (user_id, device_id));
                    CREATE INDEX devices_curve ON devices (curve25519);
                    CREATE TABLE tracked_users (user_id TEXT PRIMARY KEY, outdated INTEGER NOT NULL);
                    CREATE TABLE verified_devices (
                        user_id TEXT NOT NULL, device_id TEXT NOT NULL, ed25519 TEXT NOT NULL,
                        PRIMARY KEY (user_id, device_id));
                    CREATE TABLE cross_signing_keys (usage TEXT PRIMARY KEY, seed TEXT NOT NULL, public_key TEXT NOT NULL);
                    CREATE TABLE rooms (room_id TEXT PRIMARY KEY, algorithm TEXT, rotation_msgs INTEGER,
                        rotation_ms INTEGER);
                    CREATE TABLE room_members (room_id TEXT NOT NULL, user_id TEXT NOT NULL, membership TEXT NOT NULL,
                        PRIMARY KEY (room_id, user_id));
                    CREATE TABLE outbound_group_sessions (
                        room_id TEXT PRIMARY KEY, pickle TEXT NOT NULL, shared_with TEXT NOT NULL,
                        created_ms INTEGER NOT NULL, message_count INTEGER NOT NULL);
                    CREATE TABLE inbound_group_sessions (
                        room_id TEXT NOT NULL, session_id TEXT NOT NULL, sender_key TEXT NOT NULL,
                        sender_ed25519 TEXT NOT NULL, pickle TEXT NOT NULL, forwarded INTEGER NOT NULL,
                        first_index INTEGER NOT NULL, PRIMARY KEY (room_id, session_id));
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL UNIQUE,
                        room_id TEXT NOT NULL, sender TEXT NOT NULL, type TEXT NOT NULL,
                        origin_server_ts INTEGER NOT NULL, json TEXT NOT NULL, decrypted_type TEXT,
                        decrypted_content TEXT, session_id TEXT, sender_key TEXT, message_index INTEGER,
                        error TEXT);
                    CREATE INDEX events_room ON events (room_id, origin_server_ts, seq);
                    CREATE INDEX events_session ON events (room_id, session_id);
                    CREATE TABLE megolm_indices (
                        room_id TEXT NOT NULL, session_id TEXT NOT NULL, message_index INTEGER NOT NULL,
                        event_id TEXT NOT NULL, PRIMARY KEY (room_id, session_id, message_index));
                    CREATE TABLE seen_to_device (digest TEXT PRIMARY KEY);
                    CREATE TABLE outgoing_key_requests (
                        request_id TEXT PRIMARY KEY, room_id TEXT NOT NULL, session_id TEXT NOT NULL,
                        sender_key TEXT NOT NULL);
                    CREATE TABLE incoming_key_requests (
                        user_id TEXT NOT NULL, device_id TEXT NOT NULL, request_id TEXT NOT NULL,
                        room_id TEXT NOT NULL, session_id TEXT NOT NULL, sender_key TEXT NOT NULL,
                        state TEXT NOT NULL, PRIMARY KEY (user_id, device_id, request_id));
                    """)
        }
        return migrator
    }
}

/// One transaction on the store: typed reads and writes, used only inside ``ClientStore/write(_:)``
/// or ``ClientStore/read(_:)``.
public struct StoreTransaction {
    public let db: Database

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    // MARK: Meta

    public func meta(_ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }

    public func setMeta(_ key: String, _ value: String?) throws {
        if let value {
            try db.execute(
                sql:
                    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
        }
    }
}
