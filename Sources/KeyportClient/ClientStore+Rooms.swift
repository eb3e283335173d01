import KeyportSQLite
import MatrixModel

/// A room's encryption settings as its `m.room.encryption` state gives them.
public struct RoomEncryption: Sendable, Equatable {
    public var algorithm: String
    /// Rotate the outbound session after this many messages (the spec's default is 100).
    public var rotationMessages: Int64
    /// Rotate after this many milliseconds (the spec's default is one week).
    public var rotationMs: Int64

    public init(algorithm: String, rotationMessages: Int64, rotationMs: Int64) {
        self.algorithm = algorithm
        self.rotationMessages = rotationMessages
        self.rotationMs = rotationMs
    }
}

/// A timeline event as stored, with what decryption made of it.
public struct TimelineEvent: Sendable, Equatable {
    public var eventID: String
    public var roomID: String
    public var sender: String
    public var type: String
    public var originServerTs: Int64
    public var json: String
    public var decryptedType: String?
    public var decryptedContent: String?
    public var sessionID: String?
    public var senderKey: String?
    public var messageIndex: Int64?
    public var error: String?

    init(row: Row) {
        eventID = row["event_id"]
        roomID = row["room_id"]
        sender = row["sender"]
        type = row["type"]
        originServerTs = row["origin_server_ts"]
        json = row["json"]
        decryptedType = row["decrypted_type"]
        decryptedContent = row["decrypted_content"]
        sessionID = row["session_id"]
        senderKey = row["sender_key"]
        messageIndex = row["message_index"]
        error = row["error"]
    }

    init(event: JSONObject, roomID: String) throws {
        guard let eventID = event["event_id"]?.stringValue, let sender = event["sender"]?.stringValue,
            let type = event["type"]?.stringValue
        else { throw ClientError.invalidResponse("a timeline event lacks event_id, sender or type") }
        self.eventID = eventID
        self.roomID = roomID
        self.sender = sender
        self.type = type
        originServerTs = event["origin_server_ts"]?.intValue ?? 0
        json = JSONValue.object(event).encodedString()
        let content = event["content"]?.objectValue
        if type == "m.room.encrypted" {
            sessionID = content?["session_id"]?.stringValue
            senderKey = content?["sender_key"]?.stringValue
        }
    }

    public var isEncrypted: Bool { type == "m.room.encrypted" }
    public var isDecrypted: Bool { decryptedType != nil }

    /// The line `messages` prints: the event as the room shows it, decrypted where we could.
    public var outputJSON: JSONObject {
        let event = (try? JSONParser(options: .lenient).parse(json).objectValue) ?? [:]
        var line: JSONObject = [
            "event_id": .string(eventID), "room_id": .string(roomID), "sender": .string(sender),
            "origin_server_ts": .int(originServerTs), "encrypted": .bool(isEncrypted),
            "decrypted": .bool(isDecrypted),
        ]
        if let stateKey = event["state_key"] { line["state_key"] = stateKey }
        if let decryptedType, let decryptedContent {
            line["type"] = .string(decryptedType)
            line["content"] = (try? JSONParser(options: .lenient).parse(decryptedContent)) ?? .object([:])
        } else {
            line["type"] = .string(type)
            line["content"] = event["content"] ?? .object([:])
        }
        if let sessionID { line["session_id"] = .string(sessionID) }
        if let messageIndex { line["message_index"] = .int(messageIndex) }
        if let error { line["error"] = .string(error) }
        return line
    }
}

extension StoreTransaction {
    public func setRoomEncryption(roomID: String, _ encryption: RoomEncryption) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO rooms (room_id, algorithm, rotation_msgs, rotation_ms) VALUES (?, ?, ?, ?)",
            arguments: [roomID, encryption.algorithm, encryption.rotationMessages, encryption.rotationMs])
    }

    public func roomEncryption(roomID: String) throws -> RoomEncryption? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM rooms WHERE room_id = ? AND algorithm IS NOT NULL", arguments: [roomID])
        else { return nil }
        return RoomEncryption(
            algorithm: row["algorithm"], rotationMessages: row["rotation_msgs"], rotationMs: row["rotation_ms"])
    }

    public func setMembership(roomID: String, userID: String, membership: String) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO room_members (room_id, user_id, membership) VALUES (?, ?, ?)",
            arguments: [roomID, userID, membership])
    }

    /// Joined and invited members: those a room key goes to.
    public func roomKeyRecipients(roomID: String) throws -> [String] {
        try String.fetchAll(
            db,
            sql: """
                SELECT user_id FROM room_members WHERE room_id = ? AND membership IN ('join', 'invite')
                ORDER BY user_id
                """,
            arguments: [roomID])
    }

    public func membership(roomID: String, userID: String) throws -> String? {
        try String.fetchOne(
            db, sql: "SELECT membership FROM room_members WHERE room_id = ? AND user_id = ?",
            arguments: [roomID, userID])
    }

    // MARK: Events

    /// Stores a timeline event once; false if its event ID is known already.
    public func insertEvent(_ event: TimelineEvent) throws -> Bool {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO events (event_id, room_id, sender, type, origin_server_ts, json, session_id,
                    sender_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.eventID, event.roomID, event.sender, event.type, event.originServerTs, event.json,
                event.sessionID, event.senderKey,
            ])
        return db.changesCount == 1
    }

    public func event(eventID: String) throws -> TimelineEvent? {
        try Row.fetchOne(db, sql: "SELECT * FROM events WHERE event_id = ?", arguments: [eventID])
            .map(TimelineEvent.init(row:))
    }

    public func saveDecryption(_ event: TimelineEvent) throws {
        try db.execute(
            sql: """
                UPDATE events SET decrypted_type = ?, decrypted_content = ?, message_index = ?, error = ?
                WHERE event_id = ?
                """,
            arguments: [event.decryptedType, event.decryptedContent, event.messageIndex, event.error, event.eventID])
    }

    /// Encrypted events not decrypted yet, in one room or all, for one session or all.
    public func undecryptedEvents(roomID: String? = nil, sessionID: String? = nil) throws -> [TimelineEvent] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT * FROM events WHERE type = 'm.room.encrypted' AND decrypted_type IS NULL
                AND (? IS NULL OR room_id = ?) AND (? IS NULL OR session_id = ?) ORDER BY seq
                """,
            arguments: [roomID, roomID, sessionID, sessionID]
        ).map(TimelineEvent.init(row:))
    }

    /// The room's timeline in server order.
    public func timeline(roomID: String) throws -> [TimelineEvent] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM events WHERE room_id = ? ORDER BY origin_server_ts, seq", arguments: [roomID]
        ).map(TimelineEvent.init(row:))
    }

    /// Records that `eventID` used this Megolm index; returns the event that used it first.
    public func claimMegolmIndex(roomID: String, sessionID: String, index: Int64, eventID: String) throws -> String {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO megolm_indices (room_id, session_id, message_index, event_id)
                VALUES (?, ?, ?, ?)
                """,
            arguments: [roomID, sessionID, index, eventID])
        return try String.fetchOne(
            db,
            sql: "SELECT event_id FROM megolm_indices WHERE room_id = ? AND session_id = ? AND message_index = ?",
            arguments: [roomID, sessionID, index]) ?? eventID
    }
}
