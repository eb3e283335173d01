public import KeyportServices
public import KeyportStore
public import MatrixModel
import MatrixRooms

/// Joins a room on another server (https://spec.matrix.org/latest/server-server-api/#joining-rooms):
/// `make_join` offering versions 10, 11 and 12; the template filled in and signed; `send_join` v2
/// for the full state; then the answer checked — the create event's version, every event's
/// signatures and hashes (through ``InboundPDUService``), the auth chain against itself, the join
/// against the returned state — and stored: the state and auth chain as outliers, the join as the
/// first timeline event with the returned state before it.
public struct RemoteMembershipService: RemoteRoomMembership {
    let store: any KeyportStorage
    let identity: ServerIdentity
    let rooms: RoomFederationClient
    let pdus: InboundPDUService
    let clock: ServerClock

    public init(
        store: any KeyportStorage, identity: ServerIdentity, rooms: RoomFederationClient, pdus: InboundPDUService,
        clock: ServerClock
    ) {
        self.store = store
        self.identity = identity
        self.rooms = rooms
        self.pdus = pdus
        self.clock = clock
    }

    public func join(userID: String, roomIDOrAlias: String, servers: [String], content: JSONObject) async throws
        -> String
    {
        var roomID = roomIDOrAlias
        var candidates = servers
        if roomIDOrAlias.hasPrefix("#") {
            guard let server = servers.last else { throw MatrixError.notFound("Unknown room alias \(roomIDOrAlias)") }
            do {
                let answer = try await rooms.roomAlias(server, alias: roomIDOrAlias)
                roomID = answer.roomID
                candidates = answer.servers + servers
            } catch {
                throw MatrixError.notFound("Room alias \(roomIDOrAlias) not found: \(error)")
            }
        }
        var seen = Set<String>()
        candidates = candidates.filter { !identity.isLocalServer($0) && seen.insert($0).inserted }
        var lastError: any Error = MatrixError.notFound("No server could be reached to join \(roomID)")
        for server in candidates {
            do {
                try await join(userID: userID, roomID: roomID, through: server, content: content)
                return roomID
            } catch let error as MatrixError where error.status == 403 {
                throw error
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    /// The handshake through one server.
    func join(userID: String, roomID: String, through server: String, content: JSONObject) async throws {
        let offered = RoomVersion.supported.map(\.identifier)
        let template: MembershipTemplate
        do {
            template = try await rooms.makeJoin(server, roomID: roomID, userID: userID, roomVersions: offered)
        } catch {
            if error.errcode == "M_FORBIDDEN" { throw MatrixError.forbidden("\(server) refused the join: \(error)") }
            if error.errcode == "M_INCOMPATIBLE_ROOM_VERSION" {
                throw MatrixError(
                    status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION", "The room's version is not supported here")
            }
            throw error
        }
        guard let version = template.roomVersion.flatMap(RoomVersion.named) else {
            throw MatrixError(
                status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION", "The room's version is not supported here")
        }
        var event = template.event
        var joinContent = event["content"]?.objectValue ?? [:]
        for (key, value) in content where joinContent[key] == nil { joinContent[key] = value }
        joinContent["membership"] = "join"
        event["content"] = .object(joinContent)
        event["origin"] = .string(identity.serverName.rawValue)
        event["origin_server_ts"] = .int(clock.now())
        event["hashes"] = nil
        event["signatures"] = nil
        event["unsigned"] = nil
        let join: PDU
        do {
            join = try PDUBuilder.sign(
                event, version: version, serverName: identity.serverName.rawValue, key: identity.signingKey)
        } catch {
            throw MatrixError.unknown("\(server) offered a join template that is not a valid event: \(error.reason)")
        }
        let answer = try await rooms.sendJoin(server, roomID: roomID, eventID: join.eventID, event: join.object)
        try await take(answer, join: join, version: version, roomID: roomID, from: server)
    }

    /// Checks and stores what `send_join` answered.
    func take(_ answer: SendJoinAnswer, join: PDU, version: RoomVersion, roomID: String, from server: String)
        async throws
    {
        let all = answer.state + answer.authChain
        // The create event decides the version and, from v12, the room ID.
        guard
            let createObject = all.first(where: {
                $0["type"]?.stringValue == EventType.create && $0["state_key"]?.stringValue == ""
            }),
            let create = try? PDU(parsing: createObject, roomVersion: version)
        else { throw MatrixError.unknown("\(server) answered the join without the room's create event") }
        guard create.content["room_version"]?.stringValue ?? "1" == version.identifier else {
            throw MatrixError.unknown("\(server) answered with a create event of another room version")
        }
        guard create.roomID == roomID else {
            throw MatrixError.unknown("\(server) answered with the create event of another room")
        }
        if try await store.roomVersion(roomID: roomID) == nil {
            do {
                try await store.createRoom(
                    roomID: roomID, version: version.identifier, creator: create.sender, now: clock.now())
            } catch StoreError.conflict {}
        }
        // Every event is checked (signatures, hashes, its own auth events) as it is stored.
        var budget = Int.max
        try await pdus.storeOutliers(all, version: version, roomID: roomID, budget: &budget)
        var state: StateMap = [:]
        let stateIDs = answer.state.compactMap { try? PDU(parsing: $0, roomVersion: version) }
        let rejected = try await store.rejectedEvents(among: Set(stateIDs.map(\.eventID)))
        for event in stateIDs where !rejected.contains(event.eventID) {
            if let key = event.stateMapKey { state[key] = event.eventID }
        }
        guard state[.create] == create.eventID else {
            throw MatrixError.unknown("\(server) answered with a state whose create event does not check")
        }
        // The join as the resident co-signed it, if it sent it back and it is still our join.
        var joinPDU = join
        if let returned = answer.event, let cosigned = try? PDU(parsing: returned, roomVersion: version),
            cosigned.eventID == join.eventID
        {
            joinPDU = cosigned
        }
        let stateEvents = try await pdus.stateEvents(state, version: version)
        let decision = PDUChecks.againstState(joinPDU, state: stateEvents)
        guard decision.isAllowed else {
            throw MatrixError.forbidden("The room's state does not allow the join: \(decision)")
        }
        try await RoomGraphWriter(store: store).write(
            joinPDU, verdict: .accepted, stateBefore: state, version: version)
        await pdus.wakeMembers(of: joinPDU)
    }
}
