import Foundation
import KeyportClientCrypto
import KeyportSQLite
import MatrixModel

/// A Megolm session we send with in one room, and the devices that hold its key.
public struct OutboundGroupRecord: Sendable {
    public var session: MegolmOutboundSession
    /// user ID → device ID → Curve25519 key the room key went to.
    public var sharedWith: [String: [String: String]]
    public var createdMs: Int64
    public var messageCount: Int64

    public init(
        session: MegolmOutboundSession, sharedWith: [String: [String: String]], createdMs: Int64, messageCount: Int64
    ) {
        self.session = session
        self.sharedWith = sharedWith
        self.createdMs = createdMs
        self.messageCount = messageCount
    }

    public var roomKeyHolders: Set<DeviceRef> {
        Set(sharedWith.flatMap { user, devices in devices.map { DeviceRef(userID: user, deviceID: $0.key) } })
    }
}

/// A Megolm session we receive with, and where its key came from.
public struct InboundGroupRecord: Sendable {
    public var roomID: String
    public var session: MegolmInboundSession
    /// The Curve25519 key of the Olm session that brought the key (the sender's, for `m.room_key`).
    public var senderKey: String
    /// The Ed25519 key the sender claimed in the Olm payload (`keys.ed25519`).
    public var senderEd25519: String
    /// True when the key came as `m.forwarded_room_key` from another of our devices.
    public var forwarded: Bool

    public var sessionID: String { session.sessionID }
}

/// A user and one of their devices.
public struct DeviceRef: Sendable, Hashable, Comparable {
    public var userID: String
    public var deviceID: String

    public init(userID: String, deviceID: String) {
        self.userID = userID
        self.deviceID = deviceID
    }

    public static func < (lhs: DeviceRef, rhs: DeviceRef) -> Bool {
        (lhs.userID, lhs.deviceID) < (rhs.userID, rhs.deviceID)
    }
}

extension StoreTransaction {
    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Olm account

    public func account() throws -> OlmAccount? {
        guard let pickle = try String.fetchOne(db, sql: "SELECT pickle FROM olm_account WHERE id = 1") else {
            return nil
        }
        return try Self.decode(OlmAccount.self, pickle)
    }

    public func requireAccount() throws -> OlmAccount {
        guard let account = try account() else { throw ClientError.notLoggedIn }
        return account
    }

    public func saveAccount(_ account: OlmAccount) throws {
        try db.execute(
            sql: """
                INSERT INTO olm_account (id, pickle) VALUES (1, ?)
                ON CONFLICT (id) DO UPDATE SET pickle = excluded.pickle
                """,
            arguments: [try Self.encode(account)])
    }

    // MARK: Olm sessions

    /// The sessions with the device whose identity key is `senderKey`, most recently used first.
    public func olmSessions(senderKey: String) throws -> [OlmSession] {
        try String.fetchAll(
            db, sql: "SELECT pickle FROM olm_sessions WHERE sender_key = ? ORDER BY last_used DESC, rowid DESC",
            arguments: [senderKey]
        ).map { try Self.decode(OlmSession.self, $0) }
    }

    public func saveOlmSession(_ session: OlmSession, senderKey: String) throws {
        try db.execute(
            sql: """
                INSERT INTO olm_sessions (session_id, sender_key, pickle, last_used) VALUES (?, ?, ?, ?)
                ON CONFLICT (session_id) DO UPDATE SET pickle = excluded.pickle, last_used = excluded.last_used
                """,
            arguments: [session.sessionID, senderKey, try Self.encode(session), Self.nowMs()])
    }

    // MARK: Megolm

    public func outboundGroupSession(roomID: String) throws -> OutboundGroupRecord? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM outbound_group_sessions WHERE room_id = ?", arguments: [roomID])
        else { return nil }
        return OutboundGroupRecord(
            session: try Self.decode(MegolmOutboundSession.self, row["pickle"]),
            sharedWith: try Self.decode([String: [String: String]].self, row["shared_with"]),
            createdMs: row["created_ms"], messageCount: row["message_count"])
    }

    public func saveOutboundGroupSession(_ record: OutboundGroupRecord, roomID: String) throws {
        try db.execute(
            sql: """
                INSERT INTO outbound_group_sessions (room_id, pickle, shared_with, created_ms, message_count)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (room_id) DO UPDATE SET pickle = excluded.pickle, shared_with = excluded.shared_with,
                    created_ms = excluded.created_ms, message_count = excluded.message_count
                """,
            arguments: [
                roomID, try Self.encode(record.session), try Self.encode(record.sharedWith), record.createdMs,
                record.messageCount,
            ])
    }

    public func inboundGroupSession(roomID: String, sessionID: String) throws -> InboundGroupRecord? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM inbound_group_sessions WHERE room_id = ? AND session_id = ?",
                arguments: [roomID, sessionID])
        else { return nil }
        return InboundGroupRecord(
            roomID: roomID, session: try Self.decode(MegolmInboundSession.self, row["pickle"]),
            senderKey: row["sender_key"], senderEd25519: row["sender_ed25519"], forwarded: row["forwarded"])
    }

    public func saveInboundGroupSession(_ record: InboundGroupRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO inbound_group_sessions
                    (room_id, session_id, sender_key, sender_ed25519, pickle, forwarded, first_index)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (room_id, session_id) DO UPDATE SET sender_key = excluded.sender_key,
                    sender_ed25519 = excluded.sender_ed25519, pickle = excluded.pickle,
                    forwarded = excluded.forwarded, first_index = excluded.first_index
                """,
            arguments: [
                record.roomID, record.sessionID, record.senderKey, record.senderEd25519,
                try Self.encode(record.session), record.forwarded, Int64(record.session.firstKnownIndex),
            ])
    }

    /// Keeps a received Megolm key unless we hold the same session from an index at or before its
    /// own: a key that arrives twice (a repeated `since`, a re-share) changes nothing. True if kept.
    @discardableResult
    public func addInboundGroupSession(_ record: InboundGroupRecord) throws -> Bool {
        if let existing = try inboundGroupSession(roomID: record.roomID, sessionID: record.sessionID),
            existing.session.firstKnownIndex <= record.session.firstKnownIndex
        {
            return false
        }
        try saveInboundGroupSession(record)
        return true
    }

    // MARK: Cross-signing private keys

    public func crossSigningKey(_ usage: String) throws -> Ed25519KeyPair? {
        guard
            let seed = try String.fetchOne(
                db, sql: "SELECT seed FROM cross_signing_keys WHERE usage = ?", arguments: [usage]),
            let bytes = Base64Unpadded.decode(seed)
        else { return nil }
        return try Ed25519KeyPair(seed: bytes)
    }

    public func saveCrossSigningKey(_ usage: String, _ pair: Ed25519KeyPair) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO cross_signing_keys (usage, seed, public_key) VALUES (?, ?, ?)",
            arguments: [usage, pair.seed.base64, pair.publicKey.base64])
    }

    // MARK: Dedup of to-device messages

    /// Records a to-device message by digest; false if it was seen before.
    public func markToDeviceSeen(_ digest: String) throws -> Bool {
        try db.execute(sql: "INSERT OR IGNORE INTO seen_to_device (digest) VALUES (?)", arguments: [digest])
        return db.changesCount == 1
    }
}
