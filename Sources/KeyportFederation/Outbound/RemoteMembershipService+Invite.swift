public import MatrixModel
import MatrixRooms
import MatrixSigning

extension RemoteMembershipService {
    /// `PUT /v2/invite` to the invitee's server; the answer must be the same event, now also signed
    /// by that server (a key of its valid at the event's time).
    public func invite(_ event: JSONObject, roomID: String, eventID: String, version: String, roomState: [JSONObject])
        async throws -> JSONObject
    {
        guard let roomVersion = RoomVersion.named(version) else {
            throw MatrixError(status: 400, errcode: "M_UNSUPPORTED_ROOM_VERSION", "Unsupported room version")
        }
        let target = try PDU(parsing: event, roomVersion: roomVersion)
        guard let invitee = target.stateKey, let server = UserID(invitee)?.serverName.rawValue else {
            throw MatrixError.invalidParam("The invite names no user of another server")
        }
        let answer: JSONObject
        do {
            answer = try await rooms.invite(
                server, roomID: roomID, eventID: eventID, event: event, roomVersion: version,
                inviteRoomState: roomState)
        } catch {
            if error.errcode == "M_FORBIDDEN" { throw MatrixError.forbidden("\(server) refused the invite: \(error)") }
            throw MatrixError(status: 502, errcode: "M_UNKNOWN", "\(server) did not take the invite: \(error)")
        }
        let cosigned: PDU
        do {
            cosigned = try PDU(parsing: answer, roomVersion: roomVersion)
        } catch {
            throw MatrixError(status: 502, errcode: "M_UNKNOWN", "\(server) returned a malformed invite")
        }
        guard cosigned.eventID == eventID else {
            throw MatrixError(status: 502, errcode: "M_UNKNOWN", "\(server) returned another event")
        }
        var publicKeys: [String: String] = [:]
        for keyID in cosigned.object["signatures"]?[server]?.objectValue?.keys ?? [] where keyID.hasPrefix("ed25519:") {
            if let key = await pdus.keys.key(serverName: server, keyID: keyID, validAt: cosigned.originServerTS) {
                publicKeys[keyID] = key
            }
        }
        guard PDUSigning.check(cosigned, signedBy: server, publicKey: { publicKeys[$1] }).isValid else {
            throw MatrixError(status: 502, errcode: "M_UNKNOWN", "\(server) did not sign the invite")
        }
        return answer
    }
}
