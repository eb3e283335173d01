public import KeyportServices
public import KeyportStore
import MatrixModel
import MatrixRooms

/// Another server's user joining a room this server is in: `make_join` offers the template of the
/// join, `send_join` (v2) takes the signed join through the checks on receipt, co-signs it and
/// answers with the room's full state before it and the auth chain (never partial state:
/// `members_omitted` is false). Restricted joins and knocks are refused cleanly, as out of scope.
public struct JoinHostingService: Sendable {
    let store: any KeyportStorage
    let identity: ServerIdentity
    let pdus: InboundPDUService
    let clock: ServerClock
    /// Called with each join taken in, to send it to the room's other servers.
    let announce: @Sendable (_ eventID: String, _ roomID: String, _ except: String) async -> Void

    public init(
        store: any KeyportStorage, identity: ServerIdentity, pdus: InboundPDUService, clock: ServerClock,
        announce: @escaping @Sendable (_ eventID: String, _ roomID: String, _ except: String) async -> Void = {
            _, _, _ in
        }
    ) {
        self.store = store
        self.identity = identity
        self.pdus = pdus
        self.clock = clock
        self.announce = announce
    }

    /// # `GET /make_join/{roomId}/{userId}?ver=…`
    public func makeJoin(origin: String, roomID: String, userID: String, versions: [String]) async throws
        -> JSONObject
    {
        guard let user = UserID(userID), user.serverName.rawValue == origin else {
            throw MatrixError.forbidden("\(origin) may only make joins for its own users")
        }
        let version = try await roomVersion(roomID)
        // A server that names no version supports only version 1 (the spec's default).
        guard (versions.isEmpty ? ["1"] : versions).contains(version.identifier) else {
            var error = MatrixError(
                status: 400, errcode: "M_INCOMPATIBLE_ROOM_VERSION",
                "The room is version \(version.identifier), which your server does not support")
            error.extra["room_version"] = .string(version.identifier)
            throw error
        }
        let writer = RoomGraphWriter(store: store)
        let state = try await writer.currentStateMap(roomID)
        try await requireResident(roomID)
        let events = try await store.events(Set(state.values))
        let joinRule = state[.joinRules].flatMap { events[$0]?.content["join_rule"]?.stringValue } ?? "invite"
        let membership = state[.member(userID)].flatMap { events[$0]?.content["membership"]?.stringValue }
        if membership == "ban" { throw MatrixError.forbidden("\(userID) is banned from the room") }
        switch joinRule {
        case "public": break
        case "invite":
            guard membership == "invite" || membership == "join" else {
                throw MatrixError.forbidden("\(userID) is not invited to the room")
            }
        default:
            throw MatrixError.forbidden("Joining a room with the join rule '\(joinRule)' is not supported here")
        }
        let base = try await RoomGraphWriter(store: store).newEventBase(
            extremities: try await store.forwardExtremities(roomID: roomID))
        let template = try PDUBuilder.template(
            EventDraft(
                type: EventType.member, stateKey: userID, sender: userID, content: ["membership": "join"],
                roomID: roomID, originServerTS: clock.now(), prevEvents: base.prevEvents,
                depth: base.depth),
            version: version, state: state, extra: ["origin": .string(origin)])
        return ["room_version": .string(version.identifier), "event": .object(template)]
    }

    /// # `PUT /v2/send_join/{roomId}/{eventId}`
    public func sendJoin(origin: String, roomID: String, eventID: String, body: JSONObject) async throws
        -> JSONObject
    {
        let version = try await roomVersion(roomID)
        try await requireResident(roomID)
        let join: PDU
        do {
            join = try PDU(parsing: body, roomVersion: version)
        } catch {
            throw MatrixError.badJSON("The join event is malformed: \(error.reason)")
        }
        guard join.eventID == eventID else { throw MatrixError.badJSON("The event ID does not match the event") }
        guard join.roomID == roomID, join.type == EventType.member, join.membership == "join",
            join.stateKey == join.sender, join.senderServer == origin
        else { throw MatrixError.badJSON("The event is not a join of one of \(origin)'s users to \(roomID)") }
        if join.content["join_authorised_via_users_server"] != nil {
            throw MatrixError.forbidden("Restricted joins are not supported here")
        }
        // Co-signed as the resident server, then taken like any PDU.
        let cosigned: JSONObject
        do {
            cosigned = try PDUSigning.sign(
                join.object, version: version, serverName: identity.serverName.rawValue, key: identity.signingKey)
        } catch {
            throw MatrixError.badJSON("The join event has no canonical JSON form")
        }
        do {
            try await pdus.take(cosigned, origin: origin, fetchMissing: true)
        } catch let refusal as InboundPDUService.Refusal {
            throw MatrixError.forbidden("The join was not accepted: \(refusal.reason)")
        }
        guard let stored = try await store.events([eventID])[eventID] else {
            throw MatrixError.unknown("The join was not stored")
        }
        if let reason = stored.rejectedReason { throw MatrixError.forbidden("The join is not allowed: \(reason)") }
        if stored.softFailed { throw MatrixError.forbidden("The join is not allowed by the room's current state") }

        let writer = RoomGraphWriter(store: store)
        let stateBefore = try await writer.stateBefore(prevEvents: join.prevEvents, version: version) ?? [:]
        let stateIDs = Set(stateBefore.values)
        var authIDs = try await store.authChain(of: stateIDs.union(join.authEvents))
        authIDs.subtract(stateIDs)
        authIDs.remove(eventID)
        let events = try await store.events(stateIDs.union(authIDs))
        let servers = Set(try await store.joinedMembers(roomID: roomID).compactMap { UserID($0)?.serverName.rawValue })
        await announce(eventID, roomID, origin)
        return [
            "origin": .string(identity.serverName.rawValue),
            "state": .array(stateIDs.sorted().compactMap { events[$0].map { .object($0.pdu) } }),
            "auth_chain": .array(authIDs.sorted().compactMap { events[$0].map { .object($0.pdu) } }),
            "event": .object(stored.pdu),
            "members_omitted": false,
            "servers_in_room": .array(servers.sorted().map { .string($0) }),
        ]
    }

    func roomVersion(_ roomID: String) async throws -> RoomVersion {
        guard let name = try await store.roomVersion(roomID: roomID), let version = RoomVersion.named(name) else {
            throw MatrixError.notFound("Unknown room \(roomID)")
        }
        return version
    }

    /// This server answers for a room only while one of its users is joined.
    func requireResident(_ roomID: String) async throws {
        guard try await store.joinedMembers(roomID: roomID).contains(where: { identity.isLocal($0) }) else {
            throw MatrixError.notFound("This server has no user in \(roomID)")
        }
    }
}
