public import KeyportStore
public import MatrixModel
import MatrixRooms

extension RoomService {
    /// `POST /rooms/{roomId}/invite`.
    public func invite(session: SessionRecord, roomID: String, body: JSONObject) async throws {
        let target = try body.requiredString("user_id")
        guard UserID(target) != nil else { throw MatrixError.invalidParam("Invalid user ID '\(target)'") }
        try await requireJoined(session.userID, roomID)
        let levels = try await powerLevels(roomID)
        guard levels.level(of: session.userID) >= levels.invite else {
            throw MatrixError.forbidden("You do not have permission to invite")
        }
        switch try await membership(of: target, in: roomID) {
        case "join": throw MatrixError.forbidden("\(target) is already in the room")
        case "ban": throw MatrixError.forbidden("\(target) is banned from the room")
        case "invite": return
        default: break
        }
        if identity.isLocal(target), try await store.account(userID: target) == nil {
            throw MatrixError.notFound("Unknown user \(target)")
        }
        var content: JSONObject = ["membership": "invite"]
        if let reason = try body.optionalString("reason") { content["reason"] = .string(reason) }
        if !identity.isLocal(target), let remote {
            try await inviteRemote(target, content: content, session: session, roomID: roomID, remote: remote)
            return
        }
        try await append(
            [event(roomID: roomID, type: "m.room.member", stateKey: target, sender: session.userID, content: content)],
            roomID: roomID, extra: [target])
    }

    /// `POST /join/{roomIdOrAlias}` and `POST /rooms/{roomId}/join`. A room this server is not in
    /// (an alias of another server, or a room with no local member) is joined through `servers`
    /// (the request's `via` / `server_name`), the room ID's server and, for an invite, the inviter's.
    public func join(session: SessionRecord, roomIDOrAlias: String, servers: [String] = []) async throws -> String {
        if roomIDOrAlias.hasPrefix("#"), let colon = roomIDOrAlias.firstIndex(of: ":"), let remote {
            let server = String(roomIDOrAlias[roomIDOrAlias.index(after: colon)...])
            if !identity.isLocalServer(server) {
                return try await remote.join(
                    userID: session.userID, roomIDOrAlias: roomIDOrAlias, servers: servers + [server],
                    content: try await joinContent(session.userID))
            }
        }
        let roomID = try await resolve(roomIDOrAlias)
        if let remote, try await !isResident(roomID) {
            var candidates = servers
            if let invite = try await store.stateEvent(roomID: roomID, type: "m.room.member", stateKey: session.userID),
                invite.content["membership"]?.stringValue == "invite",
                let inviter = UserID(invite.sender)?.serverName.rawValue
            {
                candidates.append(inviter)
            }
            if let colon = roomID.firstIndex(of: ":") {
                candidates.append(String(roomID[roomID.index(after: colon)...]))
            }
            candidates = candidates.filter { !identity.isLocalServer($0) }
            guard !candidates.isEmpty else {
                throw MatrixError.notFound("No server to join \(roomID) through; give one with 'via'")
            }
            return try await remote.join(
                userID: session.userID, roomIDOrAlias: roomID, servers: candidates,
                content: try await joinContent(session.userID))
        }
        try await requireRoom(roomID)
        let current = try await membership(of: session.userID, in: roomID)
        if current == "join" { return roomID }
        if current == "ban" { throw MatrixError.forbidden("You are banned from this room") }
        if current != "invite" {
            let rule = try await store.stateEvent(roomID: roomID, type: "m.room.join_rules", stateKey: "")?
                .content["join_rule"]?.stringValue
            guard rule == "public" else { throw MatrixError.forbidden("You are not invited to this room") }
        }
        let content = try await joinContent(session.userID)
        try await append(
            [
                event(
                    roomID: roomID, type: "m.room.member", stateKey: session.userID, sender: session.userID,
                    content: content)
            ],
            roomID: roomID, extra: [session.userID])
        return roomID
    }

    /// Whether one of this server's users is joined to the room (then this server has its DAG).
    func isResident(_ roomID: String) async throws -> Bool {
        try await store.joinedMembers(roomID: roomID).contains { identity.isLocal($0) }
    }

    /// `POST /rooms/{roomId}/leave` (also rejects an invite).
    public func leave(session: SessionRecord, roomID: String) async throws {
        try await leave(userID: session.userID, roomID: roomID)
    }

    /// The user leaves the room, or rejects its invite: a leave event the server sends on the
    /// user's behalf (the user needs no device or token for it; deactivation leaves every room this
    /// way). An invite to a room this server is not in is rejected through the inviter's server.
    public func leave(userID: String, roomID: String) async throws {
        try await requireRoom(roomID)
        let current = try await membership(of: userID, in: roomID)
        if current == "leave" { return }
        guard current == "join" || current == "invite" else {
            throw MatrixError.forbidden("You are not in this room")
        }
        if current == "invite", let remote, try await !isResident(roomID) {
            // Rejecting an invite to a room this server is not in goes through the inviter's server.
            let invite = try await store.stateEvent(roomID: roomID, type: "m.room.member", stateKey: userID)
            let servers = [invite.flatMap { UserID($0.sender)?.serverName.rawValue }].compactMap { $0 }
            try await remote.leave(userID: userID, roomID: roomID, servers: servers)
            await notifications.wake([userID])
            return
        }
        try await append(
            [
                event(
                    roomID: roomID, type: "m.room.member", stateKey: userID, sender: userID,
                    content: ["membership": "leave"])
            ],
            roomID: roomID, extra: [userID])
    }

    /// The rooms the user is joined to or invited to, which deactivation leaves or rejects.
    public func roomsToPart(userID: String) async throws -> [String] {
        try await store.memberships(userID: userID).filter { $0.membership == "join" || $0.membership == "invite" }
            .map(\.roomID)
    }

    /// The state an invitee's server gets with an invite: the create event, join rules, name,
    /// alias, topic, avatar, encryption and the inviter's membership, as full PDUs.
    static let inviteStateTypes: Set<String> = [
        "m.room.create", "m.room.join_rules", "m.room.name", "m.room.canonical_alias", "m.room.topic",
        "m.room.avatar", "m.room.encryption",
    ]

    /// An invite of another server's user: built and checked here, co-signed by the invitee's
    /// server, then stored like any event of the room.
    func inviteRemote(
        _ target: String, content: JSONObject, session: SessionRecord, roomID: String, remote: any RemoteRoomMembership
    ) async throws {
        try await roomWrites.run(roomID) {
            let draft = LocalDraft(type: "m.room.member", stateKey: target, sender: session.userID, content: content)
            let (pdu, stateBefore, version) = try await prepareLocal(draft, roomID: roomID)
            let roomState = try await store.currentState(roomID: roomID).filter {
                Self.inviteStateTypes.contains($0.type) || ($0.type == "m.room.member" && $0.stateKey == session.userID)
            }.map(\.pdu)
            let cosigned = try await remote.invite(
                pdu.object, roomID: roomID, eventID: pdu.eventID, version: version.identifier, roomState: roomState)
            let invite: PDU
            do {
                invite = try PDU(parsing: cosigned, roomVersion: version)
            } catch {
                throw MatrixError(status: 502, errcode: "M_UNKNOWN", "The invitee's server returned a malformed invite")
            }
            guard invite.eventID == pdu.eventID else {
                throw MatrixError(status: 502, errcode: "M_UNKNOWN", "The invitee's server changed the invite")
            }
            let sendTo = try await destinations(roomID: roomID, memberTargets: [target])
            try await RoomGraphWriter(store: store).write(
                invite, verdict: .accepted, stateBefore: stateBefore, version: version, sendTo: sendTo,
                now: clock.now())
        }
        await notifications.wake(try await store.joinedMembers(roomID: roomID) + [target])
        await notifications.outboundQueued()
    }
}
