import KeyportServices
import KeyportStore
import MatrixModel
import MatrixRooms

/// A room alias's room and the servers likely to hold the room.
public struct RoomDirectoryEntry: Sendable, Equatable {
    public var roomID: String
    public var servers: [String]
}

extension RoomEventQueryService {
    /// # `GET /_matrix/federation/v1/query/directory?room_alias=…`
    ///
    /// The room a local alias names and the servers in it: this server first, then the servers of
    /// the joined members, ordered by the stream position of their members' current join events
    /// (near Synapse, which lists the hosts longest in the room first). 404 `M_NOT_FOUND` for an alias of another server or one not bound; 400
    /// `M_INVALID_PARAM` for text that is not an alias.
    public func directory(alias: String) async throws -> RoomDirectoryEntry {
        guard alias.hasPrefix("#"), alias.utf8.count <= 255, let colon = alias.firstIndex(of: ":"),
            colon > alias.index(after: alias.startIndex), alias.index(after: colon) < alias.endIndex
        else { throw MatrixError.invalidParam("\(alias) is not a room alias") }
        let ownName = identity.serverName.rawValue
        guard alias[alias.index(after: colon)...] == ownName, let roomID = try await store.roomID(forAlias: alias)
        else { throw MatrixError.notFound("Room alias \(alias) not found") }
        let joined = try await store.currentState(roomID: roomID)
            .filter { $0.type == EventType.member && $0.content["membership"]?.stringValue == "join" }
            .sorted { ($0.ordering, $0.eventID) < ($1.ordering, $1.eventID) }
        var servers = [ownName]
        for member in joined {
            guard let userID = member.stateKey, let colon = userID.firstIndex(of: ":") else { continue }
            let server = String(userID[userID.index(after: colon)...])
            if !servers.contains(server) { servers.append(server) }
        }
        return RoomDirectoryEntry(roomID: roomID, servers: servers)
    }
}
