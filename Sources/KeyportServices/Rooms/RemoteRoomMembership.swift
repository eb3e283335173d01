public import MatrixModel

/// Joining rooms this server is not in, through a server that is (the federation handshakes live in
/// KeyportFederation, which implements this).
public protocol RemoteRoomMembership: Sendable {
    /// Joins `userID` (ours) to `roomIDOrAlias` through the first of `servers` that answers, with
    /// `content` as the join's member content; returns the room ID once the join is stored and
    /// the room's state with it.
    func join(userID: String, roomIDOrAlias: String, servers: [String], content: JSONObject) async throws -> String

    /// Sends an invite of a user of another server to that server (`/v2/invite`) with the room's
    /// state as full PDUs (MSC4311); returns the invite as that server co-signed it, checked.
    func invite(_ event: JSONObject, roomID: String, eventID: String, version: String, roomState: [JSONObject])
        async throws -> JSONObject

    /// Leaves a room this server is not in (rejects an invite) through one of `servers`.
    func leave(userID: String, roomID: String, servers: [String]) async throws
}
