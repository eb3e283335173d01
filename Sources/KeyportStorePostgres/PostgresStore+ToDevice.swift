public import KeyportStore
import MatrixModel
import PostgresNIO

extension PostgresStore: ToDeviceStore {
    public func sendToDevice(_ batch: ToDeviceBatch, now: Int64) async throws -> Set<String>? {
        try await write { db in try await Self.sendToDevice(db, batch, now: now) }
    }

    /// `sendToDevice` inside the caller's transaction.
    static func sendToDevice(_ db: PostgresTransaction, _ batch: ToDeviceBatch, now: Int64) async throws -> Set<String>?
    {
        if let txn = batch.transaction {
            let first = try await db.exists(
                """
                INSERT INTO to_device_txns (user_id, device_id, txn_id, created_at)
                VALUES (\(txn.userID), \(txn.deviceID), \(txn.transactionID), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """)
            if !first { return nil }
        }
        if let message = batch.federatedMessage {
            let first = try await db.exists(
                """
                INSERT INTO federation_to_device_seen (origin, message_id, received_at)
                VALUES (\(message.origin), \(message.messageID), \(now))
                ON CONFLICT DO NOTHING RETURNING 1
                """)
            if !first { return nil }
        }
        var deliveries: [(userID: String, deviceID: String, content: String)] = []
        var recipients: Set<String> = []
        for delivery in batch.local {
            let existing = try await db.values(
                String.self, "SELECT device_id FROM devices WHERE user_id = \(delivery.userID) ORDER BY device_id")
            let content = encode(delivery.content)
            for deviceID in ToDeviceRecipientRule.devices(for: delivery.deviceID, existing: existing) {
                deliveries.append((delivery.userID, deviceID, content))
                recipients.insert(delivery.userID)
            }
        }
        if !deliveries.isEmpty {
            var position = try await db.reservePositions(.toDevice, count: deliveries.count)
            for delivery in deliveries {
                try await db.execute(
                    """
                    INSERT INTO device_inbox (stream_id, user_id, device_id, sender, type, content_json)
                    VALUES (\(position), \(delivery.userID), \(delivery.deviceID), \(batch.sender), \(batch.type),
                        \(delivery.content))
                    """)
                position += 1
            }
        }
        let remote = batch.remote.sorted(by: { $0.key < $1.key }).flatMap { destination, contents in
            contents.map { QueuedEDU(destination: destination, type: "m.direct_to_device", content: $0) }
        }
        try await insertEDUs(db, remote, now: now)
        return recipients
    }

    public func toDeviceMessages(userID: String, deviceID: String, after: Int64, upTo: Int64, limit: Int) async throws
        -> [ToDeviceMessage]
    {
        try await read { db in
            try await db.rows(
                """
                SELECT stream_id, sender, type, content_json FROM device_inbox
                WHERE user_id = \(userID) AND device_id = \(deviceID) AND stream_id > \(after) AND stream_id <= \(upTo)
                ORDER BY stream_id LIMIT \(Int64(limit))
                """
            ).map { row in
                let (streamID, sender, type, content) = try row.decode((Int64, String, String, String).self)
                return ToDeviceMessage(
                    streamID: streamID, sender: sender, type: type, content: try Self.decodeObject(content))
            }
        }
    }

    public func toDeviceMessages(after: Int64, upTo: Int64, limit: Int) async throws -> [InboxMessage] {
        try await read { db in
            try await db.rows(
                """
                SELECT stream_id, user_id, device_id, sender, type, content_json FROM device_inbox
                WHERE stream_id > \(after) AND stream_id <= \(upTo) ORDER BY stream_id LIMIT \(Int64(limit))
                """
            ).map { row in
                let (streamID, userID, deviceID, sender, type, content) = try row.decode(
                    (Int64, String, String, String, String, String).self)
                return InboxMessage(
                    userID: userID, deviceID: deviceID,
                    message: ToDeviceMessage(
                        streamID: streamID, sender: sender, type: type, content: try Self.decodeObject(content)))
            }
        }
    }

    public func deleteToDeviceMessages(userID: String, deviceID: String, upTo: Int64) async throws {
        try await write { db in
            try await db.execute(
                """
                DELETE FROM device_inbox WHERE user_id = \(userID) AND device_id = \(deviceID) AND stream_id <= \(upTo)
                """)
        }
    }

    public func pendingToDeviceCount() async throws -> Int {
        try await read { db in try await db.value(Int.self, "SELECT COUNT(*)::BIGINT FROM device_inbox") ?? 0 }
    }

    public func currentToDevicePosition() async throws -> Int64 {
        // The counter keeps the highest position ever given, even after the rows are deleted.
        try await read { db in try await db.currentPosition(.toDevice) }
    }
}
