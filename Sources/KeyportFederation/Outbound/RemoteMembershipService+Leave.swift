import KeyportServices
import KeyportStore
import MatrixModel
import MatrixRooms

extension RemoteMembershipService {
    /// Leaves (or rejects an invite to) a room this server is not in, through a server that is:
    /// `make_leave`, the template signed, `send_leave` v2; the leave is then stored as an outlier
    /// and sets the user's membership, as this server has no DAG of the room to put it in.
    public func leave(userID: String, roomID: String, servers: [String]) async throws {
        var lastError: any Error = MatrixError.notFound("No server could be reached to leave \(roomID)")
        for server in servers where !identity.isLocalServer(server) {
            do {
                let template = try await rooms.makeLeave(server, roomID: roomID, userID: userID)
                guard let version = template.roomVersion.flatMap(RoomVersion.named) else {
                    throw MatrixError(
                        status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION", "The room's version is not supported")
                }
                var event = template.event
                event["origin"] = .string(identity.serverName.rawValue)
                event["origin_server_ts"] = .int(clock.now())
                for field in ["hashes", "signatures", "unsigned"] { event[field] = nil }
                let leave = try PDUBuilder.sign(
                    event, version: version, serverName: identity.serverName.rawValue, key: identity.signingKey)
                try await rooms.sendLeave(server, roomID: roomID, eventID: leave.eventID, event: leave.object)
                try await storeOutlierMembership(leave)
                await pdus.wakeMembers(of: leave)
                return
            } catch {
                lastError = error
            }
        }
        throw lastError
    }

    func storeOutlierMembership(_ pdu: PDU) async throws {
        while true {
            let extremities = try await store.forwardExtremities(roomID: pdu.roomID)
            var current: [RoomStateKey: String?] = [:]
            if let key = pdu.stateMapKey { current[RoomStateKey(key)] = pdu.eventID }
            do {
                _ = try await store.applyRoomUpdate(
                    RoomUpdate(
                        roomID: pdu.roomID, events: [RoomEventWrite(RoomEvent(pdu, outlier: true), stateAfter: .none)],
                        expectedExtremities: extremities, extremities: extremities, currentState: current))
                return
            } catch StoreError.conflict {
                continue
            }
        }
    }
}
