public import KeyportServices
public import KeyportStore
public import MatrixModel
import MatrixRooms

/// `PUT /v2/invite/{roomId}/{eventId}`: another server invites one of this server's users. The
/// invite is checked (its room version, its shape, the inviter's server's signature), as is the
/// room state it carries (MSC4311: full PDUs of the room, the create event among them, each
/// signed), then co-signed and stored; the user sees the invite in `/sync` with that state.
public struct InviteService: Sendable {
    let store: any KeyportStorage
    let identity: ServerIdentity
    let pdus: InboundPDUService
    let clock: ServerClock

    public init(store: any KeyportStorage, identity: ServerIdentity, pdus: InboundPDUService, clock: ServerClock) {
        self.store = store
        self.identity = identity
        self.pdus = pdus
        self.clock = clock
    }

    public func receive(origin: String, roomID: String, eventID: String, body: JSONObject) async throws
        -> JSONObject
    {
        let versionName = try body.requiredString("room_version")
        guard let version = RoomVersion.named(versionName) else {
            var error = MatrixError(
                status: 400, errcode: "M_INCOMPATIBLE_ROOM_VERSION", "Room version \(versionName) is not supported")
            error.extra["room_version"] = .string(versionName)
            throw error
        }
        let object = try body.requiredObject("event")
        let invite: PDU
        do {
            invite = try await pdus.verified(object, version: version)
        } catch let refusal as InboundPDUService.Refusal {
            throw MatrixError.forbidden("The invite does not check: \(refusal.reason)")
        }
        guard invite.eventID == eventID, invite.roomID == roomID else {
            throw MatrixError.badJSON("The event does not match the room and event IDs of the request")
        }
        guard invite.type == EventType.member, invite.membership == "invite", let invitee = invite.stateKey,
            invite.senderServer == origin
        else { throw MatrixError.badJSON("The event is not an invite sent by one of \(origin)'s users") }
        guard identity.isLocal(invitee), try await store.account(userID: invitee) != nil else {
            throw MatrixError.notFound("Unknown user \(invitee)")
        }

        // The room state it carries: full PDUs of this room, the create event among them.
        var state: [PDU] = []
        for entry in body["invite_room_state"]?.arrayValue ?? [] {
            guard let entry = entry.objectValue,
                let pdu = try? await pdus.verified(entry, version: version), pdu.roomID == roomID, pdu.isState
            else {
                throw MatrixError(
                    status: 400, errcode: "M_MISSING_PARAM",
                    "invite_room_state must hold full, signed PDUs of the room (MSC4311)")
            }
            state.append(pdu)
        }
        guard let create = state.first(where: { $0.type == EventType.create && $0.stateKey == "" }),
            create.content["room_version"]?.stringValue ?? "1" == version.identifier
        else {
            throw MatrixError(
                status: 400, errcode: "M_MISSING_PARAM", "invite_room_state must hold the room's create event")
        }

        let cosigned: PDU
        do {
            cosigned = try PDU(
                parsing: try PDUSigning.sign(
                    invite.object, version: version, serverName: identity.serverName.rawValue,
                    key: identity.signingKey),
                roomVersion: version)
        } catch {
            throw MatrixError.badJSON("The invite has no canonical JSON form")
        }
        if try await !takeAsRoomEvent(cosigned, origin: origin) {
            try await store(cosigned, state: state, create: create, version: version)
        }
        await pdus.notifications.wake([invitee])
        return ["event": .object(cosigned.object)]
    }

    /// In a room this server is in, the invite is taken in as an event of the room, through the
    /// checks a `/send` PDU goes through, so it joins the room's graph at once: a join the invitee
    /// makes next builds on it, and the other servers, checking that join against the state
    /// before it, find the invite there. (Stored only as an outlier until the inviter's server
    /// sends it again, a quick join would name the invite in no ancestor and be refused as "not
    /// invited".) False when this server is not in the room, or the event could not be taken in
    /// (its history could not be fetched): it is then stored as an outlier.
    func takeAsRoomEvent(_ invite: PDU, origin: String) async throws -> Bool {
        guard try await store.joinedMembers(roomID: invite.roomID).contains(where: { identity.isLocal($0) }) else {
            return false
        }
        do {
            try await pdus.take(invite.object, origin: origin, fetchMissing: true)
        } catch {
            return false
        }
        return try await store.events([invite.eventID])[invite.eventID]?.outlier == false
    }

    /// Stores the invite as an outlier. In a room this server is not in, the state it came with
    /// becomes the room's current state (all this server knows of it), so `/sync` can show it.
    func store(_ invite: PDU, state: [PDU], create: PDU, version: RoomVersion) async throws {
        if try await store.roomVersion(roomID: invite.roomID) == nil {
            do {
                try await store.createRoom(
                    roomID: invite.roomID, version: version.identifier, creator: create.sender, now: clock.now())
            } catch StoreError.conflict {}
        }
        let resident = try await store.joinedMembers(roomID: invite.roomID).contains { identity.isLocal($0) }
        while true {
            let extremities = try await store.forwardExtremities(roomID: invite.roomID)
            let known = Set(try await store.events(Set(state.map(\.eventID) + [invite.eventID])).keys)
            var writes: [RoomEventWrite] = []
            var current: [RoomStateKey: String?] = [:]
            for pdu in state + [invite] {
                if !known.contains(pdu.eventID) {
                    writes.append(RoomEventWrite(RoomEvent(pdu, outlier: true), stateAfter: .none))
                }
                if !resident, let key = pdu.stateMapKey { current[RoomStateKey(key)] = pdu.eventID }
            }
            if resident, let key = invite.stateMapKey { current[RoomStateKey(key)] = invite.eventID }
            do {
                _ = try await store.applyRoomUpdate(
                    RoomUpdate(
                        roomID: invite.roomID, events: writes, expectedExtremities: extremities,
                        extremities: extremities, currentState: current))
                return
            } catch StoreError.conflict {
                continue
            }
        }
    }
}
