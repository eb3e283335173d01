public import KeyportStore
import MatrixModel
import MatrixRooms

/// Local rooms, as far as device management and real clients need them: creation, membership,
/// state, messages. Membership changes drive `device_lists` through the store.
public struct RoomService: Sendable {
    let store: any RoomStore & StreamStore & AccountStore & ProfileStore
    let identity: ServerIdentity
    let clock: ServerClock
    let notifications: ChangeNotifications
    /// Joins rooms elsewhere; nil where federation is off (tests of local rooms).
    let remote: (any RemoteRoomMembership)?
    /// Queues this server's events for the other servers of their rooms.
    let outbound: OutboundRoomEvents?
    /// This process's writers of one room take turns (the store's compare-and-set decides across
    /// processes).
    let roomWrites = KeyedSerialQueue()

    public init(
        store: any RoomStore & StreamStore & AccountStore & ProfileStore, identity: ServerIdentity, clock: ServerClock,
        notifications: ChangeNotifications, remote: (any RemoteRoomMembership)? = nil,
        outbound: OutboundRoomEvents? = nil
    ) {
        self.remote = remote
        self.outbound = outbound
        self.store = store
        self.identity = identity
        self.clock = clock
        self.notifications = notifications
    }

    func event(
        roomID: String, type: String, stateKey: String?, sender: String, content: JSONObject,
        transaction: ClientTransaction? = nil
    ) -> LocalDraft {
        LocalDraft(type: type, stateKey: stateKey, sender: sender, content: content, transaction: transaction)
    }

    /// A join's member content: the user's profile, with the localpart as the name of a user who set
    /// none.
    func joinContent(_ userID: String) async throws -> JSONObject {
        let profile = try await store.profile(userID: userID)
        var content: JSONObject = [
            "membership": "join",
            "displayname": .string(profile?.displayName ?? UserID(userID)?.localpart ?? userID),
        ]
        if let avatar = profile?.avatarURL { content["avatar_url"] = .string(avatar) }
        return content
    }

    /// The user's profile changed: a new join event in every room they are in, as Synapse sends, so
    /// the other members see the new name.
    public func profileChanged(userID: String) async throws {
        let content = try await joinContent(userID)
        for roomID in try await joinedRooms(userID: userID) {
            _ = try await append(
                [event(roomID: roomID, type: "m.room.member", stateKey: userID, sender: userID, content: content)],
                roomID: roomID)
        }
    }

    /// The room must exist; 404 otherwise.
    func requireRoom(_ roomID: String) async throws {
        guard try await store.roomExists(roomID: roomID) else { throw MatrixError.notFound("Unknown room \(roomID)") }
    }

    /// The user's membership in the room, from its current state.
    func membership(of userID: String, in roomID: String) async throws -> String? {
        try await store.stateEvent(roomID: roomID, type: "m.room.member", stateKey: userID)?.content["membership"]?
            .stringValue
    }

    /// 403 unless the user is joined.
    func requireJoined(_ userID: String, _ roomID: String) async throws {
        try await requireRoom(roomID)
        guard try await membership(of: userID, in: roomID) == "join" else {
            throw MatrixError.forbidden("You are not joined to \(roomID)")
        }
    }

    /// The room's power levels, with the creators a v12 room gives infinite power.
    func powerLevels(_ roomID: String) async throws -> PowerLevels {
        var creators: Set<String> = []
        if let name = try await store.roomVersion(roomID: roomID),
            RoomVersion.named(name)?.creatorsHaveInfinitePower == true,
            let create = try await store.stateEvent(roomID: roomID, type: "m.room.create", stateKey: "")
        {
            creators.insert(create.sender)
            for creator in create.content["additional_creators"]?.arrayValue ?? [] {
                if let userID = creator.stringValue { creators.insert(userID) }
            }
        }
        return PowerLevels(
            content: try await store.stateEvent(roomID: roomID, type: "m.room.power_levels", stateKey: "")?.content,
            creators: creators)
    }

    /// Builds, checks and stores this server's events, then wakes everyone in the room plus `extra`
    /// users.
    @discardableResult
    func append(_ events: [LocalDraft], roomID: String, extra: [String] = []) async throws -> [RoomEvent] {
        let stored = try await appendLocal(events, roomID: roomID)
        let members = try await store.currentState(roomID: roomID).compactMap { event -> String? in
            guard event.type == "m.room.member", let membership = event.content["membership"]?.stringValue,
                membership == "join" || membership == "invite"
            else { return nil }
            return event.stateKey
        }
        await notifications.wake(members + extra)
        // Other servers get the events (queued with them), and a join may bring servers that need
        // the joiner's device list.
        await notifications.outboundQueued()
        return stored
    }

    /// The other servers this server's new events in a room go to: those of the room's joined
    /// members, and of the users member events are about (a kicked or invited user's server hears of
    /// it even with no one left in the room). Empty where federation is off.
    func destinations(roomID: String, memberTargets: [String]) async throws -> Set<String> {
        guard outbound != nil else { return [] }
        var servers = Set(try await store.joinedMembers(roomID: roomID).compactMap { UserID($0)?.serverName.rawValue })
        for target in memberTargets { if let user = UserID(target) { servers.insert(user.serverName.rawValue) } }
        servers.remove(identity.serverName.rawValue)
        return servers
    }

    /// Queues an event another server sent through this one (a join or leave it hosted) for the
    /// room's other servers, which did not see the handshake.
    public func forwardToOtherServers(eventID: String, roomID: String, except origin: String) async throws {
        guard let outbound else { return }
        var servers = Set(try await store.joinedMembers(roomID: roomID).compactMap { UserID($0)?.serverName.rawValue })
        servers.remove(origin)
        try await outbound.enqueue(eventIDs: [eventID], destinations: servers)
    }

    /// `GET /joined_rooms`.
    public func joinedRooms(userID: String) async throws -> [String] {
        try await store.memberships(userID: userID).filter { $0.membership == "join" }.map(\.roomID)
    }

    /// Resolves `!room:server` or a local `#alias:server`.
    public func resolve(_ roomIDOrAlias: String) async throws -> String {
        if roomIDOrAlias.hasPrefix("#") {
            guard let roomID = try await store.roomID(forAlias: roomIDOrAlias) else {
                throw MatrixError.notFound("Room alias \(roomIDOrAlias) not found")
            }
            return roomID
        }
        // Room v12 IDs are a hash with no server name.
        guard roomIDOrAlias.hasPrefix("!"), roomIDOrAlias.utf8.count > 1, roomIDOrAlias.utf8.count <= 255 else {
            throw MatrixError.invalidParam("\(roomIDOrAlias) is not a room ID or alias")
        }
        return roomIDOrAlias
    }
}
