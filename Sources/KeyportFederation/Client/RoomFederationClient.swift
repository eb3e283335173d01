public import MatrixModel

/// The room endpoints of the server-server API, called on another server and answered as plain
/// values (`RoomFederationAnswers.swift`).
///
/// It builds each request (room IDs, event IDs, user IDs and aliases percent-encoded as one path
/// segment or query value), sends it signed through ``FederationClient`` with a timeout and an
/// answer limit for its kind (``FederationResponseLimit``), and checks the answer's shape: a
/// missing field, a field of the wrong type, an entry of a PDU list that is not an object, an ID
/// that is not a string or more events than asked for is ``FederationError/invalidResponse(_:)``
/// naming the field. PDUs are handed back as the objects received. It stores nothing and applies
/// no room rules; the caller parses the PDUs, checks hashes, signatures and auth, and decides.
///
/// The destination is named by the caller: a room ID says nothing reliable about which servers
/// are in the room (version 12 room IDs name no server at all). An error answer is
/// ``FederationError/status(_:_:)`` with its body, and ``FederationError/errcode`` tells
/// `M_INCOMPATIBLE_ROOM_VERSION`, `M_FORBIDDEN` and `M_NOT_FOUND` apart.
///
/// [Spec](https://spec.matrix.org/v1.16/server-server-api/)
public struct RoomFederationClient: Sendable {
    /// The most events asked for by one `get_missing_events` or `backfill` (Synapse asks for 10
    /// and 100); an answer with more events than asked for is refused.
    public static let maxEventsPerRequest = 100

    let client: FederationClient

    public init(client: FederationClient) {
        self.client = client
    }

    /// # `GET /_matrix/federation/v1/make_join/{roomId}/{userId}?ver=…`
    ///
    /// The template of a join of `userID` (ours) to `roomID`, offered in one of `roomVersions`,
    /// within 20 s (as Synapse). A template that is not a join of `userID` to `roomID` is refused.
    /// A room of a version not offered is a 400 `M_INCOMPATIBLE_ROOM_VERSION` whose body names the
    /// `room_version`.
    public func makeJoin(
        _ destination: String, roomID: String, userID: String, roomVersions: [String], timeout: Duration = .seconds(20)
    ) async throws(FederationError) -> MembershipTemplate {
        let versions = roomVersions.map { "ver=\(Self.encoded($0))" }.joined(separator: "&")
        let reader = try await send(
            destination, "make_join", method: "GET",
            path: "/_matrix/federation/v1/make_join/\(Self.encoded(roomID))/\(Self.encoded(userID))"
                + (versions.isEmpty ? "" : "?\(versions)"),
            timeout: timeout, limit: FederationResponseLimit.membershipTemplate)
        return try MembershipTemplate(reader, roomID: roomID, userID: userID, membership: "join")
    }

    /// # `PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}?omit_members=false`
    ///
    /// Sends our signed join `event` (whose ID is `eventID`) and gets the room's full state and
    /// auth chain back; members are never omitted, as Keyport has no partial-state rooms. The
    /// resident server builds the whole state first, so the timeout is long (five minutes).
    public func sendJoin(
        _ destination: String, roomID: String, eventID: String, event: JSONObject, timeout: Duration = .seconds(300)
    ) async throws(FederationError) -> SendJoinAnswer {
        let segments = "\(Self.encoded(roomID))/\(Self.encoded(eventID))"
        let reader = try await send(
            destination, "send_join", method: "PUT",
            path: "/_matrix/federation/v2/send_join/\(segments)?omit_members=false", body: event, timeout: timeout,
            limit: FederationResponseLimit.sendJoin)
        return try SendJoinAnswer(reader)
    }

    /// # `PUT /_matrix/federation/v2/invite/{roomId}/{eventId}`
    ///
    /// Asks the invited user's server to sign our invite `event`; returns the event as it came
    /// back, with its signature added. `inviteRoomState` is the stripped state (with the
    /// `m.room.create` event) the invitee sees.
    public func invite(
        _ destination: String, roomID: String, eventID: String, event: JSONObject, roomVersion: String,
        inviteRoomState: [JSONObject], timeout: Duration = .seconds(60)
    ) async throws(FederationError) -> JSONObject {
        let body: JSONObject = [
            "event": .object(event), "room_version": .string(roomVersion),
            "invite_room_state": .array(inviteRoomState.map { .object($0) }),
        ]
        let reader = try await send(
            destination, "invite", method: "PUT",
            path: "/_matrix/federation/v2/invite/\(Self.encoded(roomID))/\(Self.encoded(eventID))", body: body,
            timeout: timeout, limit: FederationResponseLimit.invite)
        return try reader.object("event")
    }

    /// # `GET /_matrix/federation/v1/make_leave/{roomId}/{userId}`
    ///
    /// The template of a leave of `userID` (ours) from `roomID`, within 20 s (as Synapse); a
    /// template that is not a leave of `userID` from `roomID` is refused.
    public func makeLeave(
        _ destination: String, roomID: String, userID: String, timeout: Duration = .seconds(20)
    ) async throws(FederationError) -> MembershipTemplate {
        let reader = try await send(
            destination, "make_leave", method: "GET",
            path: "/_matrix/federation/v1/make_leave/\(Self.encoded(roomID))/\(Self.encoded(userID))",
            timeout: timeout, limit: FederationResponseLimit.membershipTemplate)
        return try MembershipTemplate(reader, roomID: roomID, userID: userID, membership: "leave")
    }

    /// # `PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}`
    ///
    /// Sends our signed leave `event`; the answer (`{}`) carries nothing.
    public func sendLeave(
        _ destination: String, roomID: String, eventID: String, event: JSONObject, timeout: Duration = .seconds(60)
    ) async throws(FederationError) {
        _ = try await send(
            destination, "send_leave", method: "PUT",
            path: "/_matrix/federation/v2/send_leave/\(Self.encoded(roomID))/\(Self.encoded(eventID))", body: event,
            timeout: timeout, limit: FederationResponseLimit.sendLeave)
    }

    /// # `GET /_matrix/federation/v1/query/directory?room_alias={alias}`
    ///
    /// The room `alias` (`#name:server`, asked of its own server) names, and servers likely to be in
    /// it; within 10 s, as Synapse's queries.
    public func roomAlias(
        _ destination: String, alias: String, timeout: Duration = .seconds(10)
    ) async throws(FederationError) -> RoomAliasAnswer {
        let reader = try await send(
            destination, "query/directory", method: "GET",
            path: "/_matrix/federation/v1/query/directory?room_alias=\(Self.encoded(alias))", timeout: timeout,
            limit: FederationResponseLimit.roomAlias)
        return try RoomAliasAnswer(reader)
    }

    /// Sends one request and returns a reader of its answer, named `name` in error messages.
    func send(
        _ destination: String, _ name: String, method: String, path: String, body: JSONObject? = nil,
        timeout: Duration, limit: Int
    ) async throws(FederationError) -> FederationAnswerReader {
        let answer = try await client.request(
            destination, method: method, path: path, body: body, timeout: timeout, maxResponseBytes: limit)
        return FederationAnswerReader(answer, name, from: destination)
    }

    /// `text` as one path segment or query value (see `String.addingPercentEncodingForPath`).
    static func encoded(_ text: String) -> String {
        text.addingPercentEncodingForPath()
    }
}
