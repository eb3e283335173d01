import KeyportClientCrypto
import MatrixModel

/// Rooms: create, join, send (Megolm-encrypted in an encrypted room) and the stored timeline.
extension MatrixClient {
    /// Creates a private room, encrypted with Megolm if asked, inviting `invites`.
    public func createRoom(encrypted: Bool, invites: [String]) async throws -> String {
        var body: JSONObject = ["preset": "private_chat", "invite": .array(invites.map(JSONValue.string))]
        if encrypted {
            body["initial_state"] = [
                [
                    "type": "m.room.encryption", "state_key": "",
                    "content": ["algorithm": .string(MegolmRoomCrypto.algorithm)],
                ]
            ]
        }
        let answer: JSONObject
        do {
            answer = try await api.call(.post, "/createRoom", body: .object(body))
        } catch let error as HomeserverError {
            throw error.clientError
        }
        guard let roomID = answer["room_id"]?.stringValue else {
            throw ClientError.invalidResponse("createRoom answer lacks room_id")
        }
        _ = try await sync(timeout: 0)
        return roomID
    }

    /// Joins a room by ID or alias.
    public func join(_ room: String) async throws -> String {
        let answer: JSONObject
        do {
            answer = try await api.call(.post, "/join/\(HomeserverAPI.segment(room))")
        } catch let error as HomeserverError {
            throw error.clientError
        }
        _ = try await sync(timeout: 0)
        return answer["room_id"]?.stringValue ?? room
    }

    /// Sends an `m.text` message; returns the event ID and, in an encrypted room, the Megolm
    /// session and index it used.
    public func sendText(roomID: String, text: String) async throws -> (
        eventID: String, sessionID: String?, messageIndex: Int64?
    ) {
        let content: JSONObject = ["msgtype": "m.text", "body": .string(text)]
        let encrypted = try await store.read { try $0.roomEncryption(roomID: roomID) } != nil
        var type = "m.room.message"
        var body = content
        var sessionID: String?
        var index: Int64?
        if encrypted {
            try await shareRoomKey(roomID: roomID)
            let megolm = megolm
            (body, index) = try await store.write { tx in
                let before = try tx.outboundGroupSession(roomID: roomID)?.session.messageIndex
                return (
                    try megolm.encrypt(roomID: roomID, type: "m.room.message", content: content, in: tx),
                    before.map(Int64.init)
                )
            }
            sessionID = body["session_id"]?.stringValue
            type = "m.room.encrypted"
        }
        let answer: JSONObject
        do {
            answer = try await api.call(
                .put,
                "/rooms/\(HomeserverAPI.segment(roomID))/send/\(HomeserverAPI.segment(type))/\(Self.transactionID())",
                body: .object(body))
        } catch let error as HomeserverError {
            throw error.clientError
        }
        guard let eventID = answer["event_id"]?.stringValue else {
            throw ClientError.invalidResponse("send answer lacks event_id")
        }
        return (eventID, sessionID, index)
    }

    /// The room's stored timeline, decrypted where a key is at hand.
    public func timeline(roomID: String) async throws -> [TimelineEvent] {
        try await store.read { try $0.timeline(roomID: roomID) }
    }
}
