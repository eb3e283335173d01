public import KeyportStore
public import MatrixModel

extension RoomService {
    /// The largest event content accepted, in canonical JSON bytes (the spec's event size limit).
    static let maxContentBytes = 65_000

    static func checkContent(_ content: JSONObject) throws(MatrixError) {
        guard let bytes = try? JSONWriter.canonicalBytes(.object(content)) else {
            throw .badJSON("Event content must be canonical JSON (no floats, integers within ±(2^53−1))")
        }
        guard bytes.count <= maxContentBytes else { throw .tooLarge("Event content is too large") }
    }

    /// `PUT /rooms/{roomId}/send/{eventType}/{txnId}`: idempotent per device and transaction ID.
    public func send(
        session: SessionRecord, roomID: String, type: String, transactionID: String, content: JSONObject
    ) async throws -> String {
        guard !type.isEmpty, type.utf8.count <= 255 else { throw MatrixError.invalidParam("Invalid event type") }
        try Self.checkContent(content)
        try await requireJoined(session.userID, roomID)
        let levels = try await powerLevels(roomID)
        guard levels.level(of: session.userID) >= levels.required(forEvent: type, isState: false) else {
            throw MatrixError.forbidden("You do not have permission to send \(type)")
        }
        let txn = ClientTransaction(
            userID: session.userID, deviceID: session.transactionScope, transactionID: transactionID)
        let stored = try await append(
            [
                event(
                    roomID: roomID, type: type, stateKey: nil, sender: session.userID, content: content,
                    transaction: txn)
            ],
            roomID: roomID)
        return stored[0].eventID
    }

    /// `PUT /rooms/{roomId}/state/{eventType}/{stateKey}`.
    public func setState(
        session: SessionRecord, roomID: String, type: String, stateKey: String, content: JSONObject
    ) async throws -> String {
        guard !type.isEmpty, type.utf8.count <= 255 else { throw MatrixError.invalidParam("Invalid event type") }
        guard type != "m.room.member", type != "m.room.create" else {
            throw MatrixError.forbidden("Use the membership endpoints to change \(type)")
        }
        try Self.checkContent(content)
        try await requireJoined(session.userID, roomID)
        let levels = try await powerLevels(roomID)
        guard levels.level(of: session.userID) >= levels.required(forEvent: type, isState: true) else {
            throw MatrixError.forbidden("You do not have permission to set \(type)")
        }
        if stateKey.hasPrefix("@"), stateKey != session.userID {
            throw MatrixError.forbidden("You may not set state keyed by another user")
        }
        let stored = try await append(
            [event(roomID: roomID, type: type, stateKey: stateKey, sender: session.userID, content: content)],
            roomID: roomID)
        return stored[0].eventID
    }

    /// `GET /rooms/{roomId}/state`.
    public func state(session: SessionRecord, roomID: String) async throws -> [RoomEvent] {
        try await requireJoined(session.userID, roomID)
        return try await store.currentState(roomID: roomID)
    }

    /// `GET /rooms/{roomId}/state/{eventType}/{stateKey}`: the current state event.
    public func stateEvent(session: SessionRecord, roomID: String, type: String, stateKey: String) async throws
        -> RoomEvent
    {
        try await requireJoined(session.userID, roomID)
        guard let event = try await store.stateEvent(roomID: roomID, type: type, stateKey: stateKey) else {
            throw MatrixError.notFound("No \(type) state with key '\(stateKey)'")
        }
        return event
    }

    /// Member events of a room (`GET /rooms/{roomId}/members`).
    public func memberEvents(session: SessionRecord, roomID: String) async throws -> [RoomEvent] {
        try await requireJoined(session.userID, roomID)
        return try await store.currentState(roomID: roomID).filter { $0.type == "m.room.member" }
    }

    /// `GET /rooms/{roomId}/messages`: `from` is `t<position>` or a sync token; `dir` is `b` or `f`.
    public func messages(
        session: SessionRecord, roomID: String, from: String?, dir: String, limit: Int
    ) async throws -> (events: [RoomEvent], start: String, end: String?) {
        try await requireJoined(session.userID, roomID)
        guard dir == "b" || dir == "f" else { throw MatrixError.invalidParam("dir must be 'b' or 'f'") }
        let limit = max(1, min(limit, 1000))
        let head = try await store.currentRoomPosition() + 1
        var position = dir == "b" ? head : 0
        if let from {
            if from.hasPrefix("t"), let value = Int64(from.dropFirst()), value >= 0 {
                position = value
            } else if let token = StreamToken(from) {
                position = token.rooms + 1
            } else {
                throw MatrixError.invalidParam("Invalid pagination token")
            }
        }
        if dir == "b" {
            let events = try await store.roomEventsBackwards(roomID: roomID, before: position, limit: limit)
            let end = events.count == limit ? events.last.map { "t\($0.ordering)" } : nil
            return (events, "t\(position)", end)
        }
        let events = try await store.roomEvents(roomID: roomID, after: position - 1, upTo: head - 1, limit: .max)
        let page = Array(events.prefix(limit))
        let end = page.last.map { "t\($0.ordering + 1)" }
        return (page, "t\(position)", end)
    }
}
