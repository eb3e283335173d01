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

extension RoomMembershipRule {
    /// The membership a user is left with when their member key drops out of the current state
    /// (only state resolution can do that): none, recorded as `leave`.
    public static func removal(of key: RoomStateKey) -> (userID: String, membership: String)? {
        key.type == "m.room.member" ? (key.stateKey, "leave") : nil
    }
}
