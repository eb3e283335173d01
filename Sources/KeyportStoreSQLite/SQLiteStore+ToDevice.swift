import KeyportSQLite
public import KeyportStore
import MatrixModel

extension SQLiteStore: ToDeviceStore {
    public func sendToDevice(_ batch: ToDeviceBatch, now: Int64) async throws -> Set<String>? {
        try await pool.write { db in
            if let txn = batch.transaction {
                try db.execute(
                    sql:
                        "INSERT OR IGNORE INTO to_device_txns (user_id, device_id, txn_id, created_at) VALUES (?, ?, ?, ?)",
                    arguments: [txn.userID, txn.deviceID, txn.transactionID, now])
                if db.changesCount == 0 { return nil }
            }
            if let message = batch.federatedMessage {
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO federation_to_device_seen (origin, message_id, received_at)
                        VALUES (?, ?, ?)
                        """,
                    arguments: [message.origin, message.messageID, now])
                if db.changesCount == 0 { return nil }
            }
            let insert = try db.cachedStatement(
                sql: "INSERT INTO device_inbox (user_id, device_id, sender, type, content_json) VALUES (?, ?, ?, ?, ?)")
            let allDevices = try db.cachedStatement(
                sql: "SELECT device_id FROM devices WHERE user_id = ? ORDER BY device_id")
            var recipients: Set<String> = []
            for delivery in batch.local {
                let devices = ToDeviceRecipientRule.devices(
                    for: delivery.deviceID, existing: try String.fetchAll(allDevices, arguments: [delivery.userID]))
                let content = Self.encode(delivery.content)
                for deviceID in devices {
                    try insert.execute(arguments: [delivery.userID, deviceID, batch.sender, batch.type, content])
                    recipients.insert(delivery.userID)
                }
            }
            for (destination, contents) in batch.remote.sorted(by: { $0.key < $1.key }) {
                try Self.insertEDUs(
                    db, contents.map { QueuedEDU(destination: destination, type: "m.direct_to_device", content: $0) },
                    now: now)
            }
            return recipients
        }
    }

    public func toDeviceMessages(userID: String, deviceID: String, after: Int64, upTo: Int64, limit: Int) async throws
        -> [ToDeviceMessage]
    {
        try await pool.read { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT stream_id, sender, type, content_json FROM device_inbox
                    WHERE user_id = ? AND device_id = ? AND stream_id > ? AND stream_id <= ?
                    ORDER BY stream_id LIMIT ?
                    """)
            return try Row.fetchAll(statement, arguments: [userID, deviceID, after, upTo, limit]).map { row in
                ToDeviceMessage(
                    streamID: row["stream_id"], sender: row["sender"], type: row["type"],
                    content: try Self.decodeObject(row["content_json"]))
            }
        }
    }

    public func toDeviceMessages(after: Int64, upTo: Int64, limit: Int) async throws -> [InboxMessage] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT stream_id, user_id, device_id, sender, type, content_json FROM device_inbox
                    WHERE stream_id > ? AND stream_id <= ? ORDER BY stream_id LIMIT ?
                    """,
                arguments: [after, upTo, limit]
            ).map { row in
                InboxMessage(
                    userID: row["user_id"], deviceID: row["device_id"],
                    message: ToDeviceMessage(
                        streamID: row["stream_id"], sender: row["sender"], type: row["type"],
                        content: try Self.decodeObject(row["content_json"])))
            }
        }
    }

    public func deleteToDeviceMessages(userID: String, deviceID: String, upTo: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM device_inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ?",
                arguments: [userID, deviceID, upTo])
        }
    }

    public func pendingToDeviceCount() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device_inbox") ?? 0 }
    }

    public func currentToDevicePosition() async throws -> Int64 {
        try await pool.read { db in
            // sqlite_sequence keeps the highest id ever used, even after the rows are deleted.
            try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'device_inbox'") ?? 0
        }
    }
}
