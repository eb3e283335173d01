public import KeyportServices
public import KeyportStore
import MatrixModel
import MatrixRooms

/// Another server's user leaving a room through this server, which is how an invite is rejected
/// by a server that is not in the room: `make_leave` offers the template, `send_leave` (v2) takes
/// the signed leave through the checks on receipt.
public struct LeaveHostingService: Sendable {
    let store: any KeyportStorage
    let identity: ServerIdentity
    let pdus: InboundPDUService
    let clock: ServerClock
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

    /// # `GET /make_leave/{roomId}/{userId}`
    public func makeLeave(origin: String, roomID: String, userID: String) async throws -> JSONObject {
        guard let user = UserID(userID), user.serverName.rawValue == origin else {
            throw MatrixError.forbidden("\(origin) may only make leaves for its own users")
        }
        let version = try await roomVersion(roomID)
        let state = try await RoomGraphWriter(store: store).currentStateMap(roomID)
        let base = try await RoomGraphWriter(store: store).newEventBase(
            extremities: try await store.forwardExtremities(roomID: roomID))
        let template = try PDUBuilder.template(
            EventDraft(
                type: EventType.member, stateKey: userID, sender: userID, content: ["membership": "leave"],
                roomID: roomID, originServerTS: clock.now(), prevEvents: base.prevEvents,
                depth: base.depth),
            version: version, state: state, extra: ["origin": .string(origin)])
        return ["room_version": .string(version.identifier), "event": .object(template)]
    }

    /// # `PUT /v2/send_leave/{roomId}/{eventId}`
    public func sendLeave(origin: String, roomID: String, eventID: String, body: JSONObject) async throws
        -> JSONObject
    {
        let version = try await roomVersion(roomID)
        let leave: PDU
        do {
            leave = try PDU(parsing: body, roomVersion: version)
        } catch {
            throw MatrixError.badJSON("The leave event is malformed: \(error.reason)")
        }
        guard leave.eventID == eventID, leave.roomID == roomID, leave.type == EventType.member,
            leave.membership == "leave", leave.stateKey == leave.sender, leave.senderServer == origin
        else { throw MatrixError.badJSON("The event is not a leave of one of \(origin)'s users from \(roomID)") }
        do {
            try await pdus.take(body, origin: origin, fetchMissing: true)
        } catch let refusal as InboundPDUService.Refusal {
            throw MatrixError.forbidden("The leave was not accepted: \(refusal.reason)")
        }
        if let stored = try await store.events([eventID])[eventID], let reason = stored.rejectedReason {
            throw MatrixError.forbidden("The leave is not allowed: \(reason)")
        }
        await announce(eventID, roomID, origin)
        return [:]
    }

    func roomVersion(_ roomID: String) async throws -> RoomVersion {
        guard try await store.joinedMembers(roomID: roomID).contains(where: { identity.isLocal($0) }),
            let name = try await store.roomVersion(roomID: roomID), let version = RoomVersion.named(name)
        else { throw MatrixError.notFound("This server is not in \(roomID)") }
        return version
    }
}
