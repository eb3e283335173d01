import KeyportSQLite

/// An `m.room_key_request` another device sent us, waiting for an answer.
public struct IncomingKeyRequest: Sendable, Equatable {
    public var requester: DeviceRef
    public var requestID: String
    public var roomID: String
    public var sessionID: String
    public var senderKey: String

    public init(requester: DeviceRef, requestID: String, roomID: String, sessionID: String, senderKey: String) {
        self.requester = requester
        self.requestID = requestID
        self.roomID = roomID
        self.sessionID = sessionID
        self.senderKey = senderKey
    }
}

extension StoreTransaction {
    /// Keeps a request once: a repeated `since` delivers it again and changes nothing.
    public func addIncomingKeyRequest(_ request: IncomingKeyRequest) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO incoming_key_requests
                    (user_id, device_id, request_id, room_id, session_id, sender_key, state)
                VALUES (?, ?, ?, ?, ?, ?, 'pending')
                """,
            arguments: [
                request.requester.userID, request.requester.deviceID, request.requestID, request.roomID,
                request.sessionID, request.senderKey,
            ])
    }

    public func cancelIncomingKeyRequest(userID: String, deviceID: String, requestID: String) throws {
        try db.execute(
            sql: """
                UPDATE incoming_key_requests SET state = 'cancelled'
                WHERE user_id = ? AND device_id = ? AND request_id = ? AND state = 'pending'
                """,
            arguments: [userID, deviceID, requestID])
    }

    public func pendingIncomingKeyRequests() throws -> [IncomingKeyRequest] {
        try Row.fetchAll(db, sql: "SELECT * FROM incoming_key_requests WHERE state = 'pending' ORDER BY rowid").map {
            IncomingKeyRequest(
                requester: DeviceRef(userID: $0["user_id"], deviceID: $0["device_id"]), requestID: $0["request_id"],
                roomID: $0["room_id"], sessionID: $0["session_id"], senderKey: $0["sender_key"])
        }
    }

    /// `answered` or `refused: <reason>`.
    public func setIncomingKeyRequestState(_ request: IncomingKeyRequest, _ state: String) throws {
        try db.execute(
            sql: "UPDATE incoming_key_requests SET state = ? WHERE user_id = ? AND device_id = ? AND request_id = ?",
            arguments: [state, request.requester.userID, request.requester.deviceID, request.requestID])
    }

    public func addOutgoingKeyRequest(requestID: String, roomID: String, sessionID: String, senderKey: String) throws {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO outgoing_key_requests (request_id, room_id, session_id, sender_key)
                VALUES (?, ?, ?, ?)
                """,
            arguments: [requestID, roomID, sessionID, senderKey])
    }

    public func hasOutgoingKeyRequest(roomID: String, sessionID: String) throws -> Bool {
        try Int.fetchOne(
            db, sql: "SELECT count(*) FROM outgoing_key_requests WHERE room_id = ? AND session_id = ?",
            arguments: [roomID, sessionID]) ?? 0 > 0
    }
}
