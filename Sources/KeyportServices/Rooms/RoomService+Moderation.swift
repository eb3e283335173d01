public import KeyportStore
public import MatrixModel

extension RoomService {
    /// What a moderator does to another member.
    public enum Moderation: String, Sendable {
        case kick, ban, unban

        /// The membership the target is left with.
        var membership: String { self == .ban ? "ban" : "leave" }
    }

    /// `POST /rooms/{roomId}/kick`, `/ban` and `/unban`: a member event about `user_id` sent by the
    /// moderator, with the optional `reason`. The auth rules decide whether it is allowed (power
    /// levels `kick` and `ban`, the target's level below the sender's).
    public func moderate(_ action: Moderation, session: SessionRecord, roomID: String, body: JSONObject) async throws {
        let target = try body.requiredString("user_id")
        guard UserID(target) != nil else { throw MatrixError.invalidParam("Invalid user ID '\(target)'") }
        try await requireJoined(session.userID, roomID)
        let current = try await membership(of: target, in: roomID)
        switch action {
        case .kick where current != "join" && current != "invite":
            throw MatrixError.forbidden("\(target) is not in the room")
        case .unban where current != "ban":
            throw MatrixError.forbidden("\(target) is not banned")
        case .ban where current == "ban":
            return
        default: break
        }
        var content: JSONObject = ["membership": .string(action.membership)]
        if let reason = try body.optionalString("reason") { content["reason"] = .string(reason) }
        try await append(
            [event(roomID: roomID, type: "m.room.member", stateKey: target, sender: session.userID, content: content)],
            roomID: roomID, extra: [target])
    }
}
