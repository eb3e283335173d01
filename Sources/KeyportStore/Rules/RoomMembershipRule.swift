import MatrixModel

/// What a local room event means for membership: an `m.room.member` state event with a string
/// `content.membership` sets its state key's membership. One rule for every engine.
public enum RoomMembershipRule {
    /// The (user, membership) the event sets, or nil.
    public static func membershipChange(of event: RoomEvent) -> (userID: String, membership: String)? {
        guard event.type == "m.room.member", let userID = event.stateKey,
            let membership = event.content["membership"]?.stringValue
        else { return nil }
        return (userID, membership)
    }
}
