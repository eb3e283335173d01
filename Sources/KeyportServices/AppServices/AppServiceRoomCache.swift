import KeyportStore

/// The rooms and memberships one transaction's interest rules ask about, each read from the store
/// once per transaction (current state: the canonical alias, the joined members).
struct AppServiceRoomCache {
    let store: any KeyportStorage
    let identity: ServerIdentity
    private var rooms: [String: AppServiceRoom] = [:]
    private var joinedRooms: [String: [String]] = [:]

    init(store: any KeyportStorage, identity: ServerIdentity) {
        self.store = store
        self.identity = identity
    }

    /// The room's aliases and local joined members.
    mutating func room(_ roomID: String) async throws -> AppServiceRoom {
        if let room = rooms[roomID] { return room }
        let canonical = try await store.stateEvent(roomID: roomID, type: "m.room.canonical_alias", stateKey: "")
        let room = AppServiceRoom(
            roomID: roomID, aliases: AppServiceRoom.aliases(canonicalAlias: canonical?.content),
            localJoinedMembers: try await store.joinedMembers(roomID: roomID).filter { identity.isLocal($0) })
        rooms[roomID] = room
        return room
    }

    /// The rooms the user is joined to now.
    mutating func joinedRooms(of userID: String) async throws -> [AppServiceRoom] {
        let roomIDs: [String]
        if let cached = joinedRooms[userID] {
            roomIDs = cached
        } else {
            roomIDs = try await store.memberships(userID: userID).filter { $0.membership == "join" }.map(\.roomID)
            joinedRooms[userID] = roomIDs
        }
        var rooms: [AppServiceRoom] = []
        for roomID in roomIDs { rooms.append(try await room(roomID)) }
        return rooms
    }
}
