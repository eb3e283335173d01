import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixModel
import Testing

/// Room steps for the room, sync and filter tests: each requires success unless it returns the reply.
extension MatrixClient {
    /// `POST /createRoom`; requires a 200 and returns the room ID.
    func createRoom(_ user: TestUser, _ body: JSONValue = [:]) async throws -> String {
        let reply = try await client(.post, "/createRoom", token: user.token, body: body)
        try #require(reply.status == 200, "createRoom failed: \(reply.body)")
        return try #require(reply["room_id"]?.stringValue)
    }

    /// `PUT /rooms/{roomId}/send/m.room.message/{txnId}`; requires a 200 and returns the event ID.
    @discardableResult
    func sendText(_ user: TestUser, _ roomID: String, _ text: String, txnID: String = UUID().uuidString)
        async throws -> String
    {
        let reply = try await client(
            .put, "/rooms/\(roomID)/send/m.room.message/\(txnID)", token: user.token,
            body: ["msgtype": "m.text", "body": .string(text)])
        try #require(reply.status == 200, "send failed: \(reply.body)")
        return try #require(reply["event_id"]?.stringValue)
    }

    /// `POST /rooms/{roomId}/invite`; requires a 200.
    func invite(_ user: TestUser, _ roomID: String, _ target: TestUser) async throws {
        let reply = try await client(
            .post, "/rooms/\(roomID)/invite", token: user.token, body: ["user_id": .string(target.userID)])
        try #require(reply.status == 200, "invite failed: \(reply.body)")
    }

    /// `POST /rooms/{roomId}/join`; requires a 200.
    func join(_ user: TestUser, _ roomID: String) async throws {
        let reply = try await client(.post, "/rooms/\(roomID)/join", token: user.token, body: [:])
        try #require(reply.status == 200, "join failed: \(reply.body)")
    }

    /// `POST /rooms/{roomId}/leave`; requires a 200.
    func leave(_ user: TestUser, _ roomID: String) async throws {
        let reply = try await client(.post, "/rooms/\(roomID)/leave", token: user.token, body: [:])
        try #require(reply.status == 200, "leave failed: \(reply.body)")
    }

    /// `GET /sync`; requires a 200.
    func syncRooms(_ user: TestUser, since: String? = nil, filter: String? = nil, timeout: Int = 0) async throws
        -> Reply
    {
        let reply = try await client(.get, syncPath(since: since, filter: filter, timeout: timeout), token: user.token)
        try #require(reply.status == 200, "sync failed: \(reply.body)")
        return reply
    }

    /// `GET /joined_rooms`; requires a 200.
    func joinedRooms(_ user: TestUser) async throws -> [String] {
        let reply = try await client(.get, "/joined_rooms", token: user.token)
        try #require(reply.status == 200, "joined_rooms failed: \(reply.body)")
        return reply["joined_rooms"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// `GET /rooms/{roomId}/messages` with the given query; requires a 200.
    func messages(_ user: TestUser, _ roomID: String, query: String) async throws -> Reply {
        let reply = try await client(.get, "/rooms/\(roomID)/messages?\(query)", token: user.token)
        try #require(reply.status == 200, "messages failed: \(reply.body)")
        return reply
    }
}

/// The `/sync` path (under `/_matrix/client/v3`) for these options.
func syncPath(since: String? = nil, filter: String? = nil, timeout: Int = 0) -> String {
    var path = "/sync?timeout=\(timeout)"
    if let since { path += "&since=\(queryEncoded(since))" }
    if let filter { path += "&filter=\(queryEncoded(filter))" }
    return path
}

/// Percent-encodes everything but letters and digits, for a query value.
func queryEncoded(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
}

/// `#name:server` as a path segment.
func aliasSegment(_ alias: String) -> String {
    alias.replacingOccurrences(of: "#", with: "%23")
}

/// The events of an `events` list (`timeline`, `state`, `invite_state`) or a `chunk`.
func eventList(_ value: JSONValue?) -> [JSONValue] {
    value?.arrayValue ?? []
}

/// Event IDs of a list of events, in order.
func eventIDs(_ events: [JSONValue]) -> [String] {
    events.compactMap { $0["event_id"]?.stringValue }
}

/// `body` of each `m.room.message` in a list, in order.
func messageBodies(_ events: [JSONValue]) -> [String] {
    events.filter { $0["type"] == "m.room.message" }.compactMap { $0["content"]?["body"]?.stringValue }
}

/// The `(type, state_key)` pairs of the state events in a list.
func stateKeys(_ events: [JSONValue]) -> Set<String> {
    Set(
        events.compactMap { event in
            guard let type = event["type"]?.stringValue, let key = event["state_key"]?.stringValue else { return nil }
            return "\(type)|\(key)"
        })
}
