import MatrixModel

/// Which state an event's `auth_events` should name
/// (https://spec.matrix.org/latest/server-server-api/#auth-events-selection): the keys the auth
/// rules read. In v12 the create event is never named (the room ID stands for it) but is still used.
public enum AuthEventSelection {
    /// The state keys whose current events the event's auth events are chosen from.
    public static func keys(for event: PDU) -> Set<StateKey> {
        if event.type == EventType.create { return [] }
        var keys: Set<StateKey> = [.powerLevels, .member(event.sender)]
        if event.roomVersion.createEventInAuthEvents { keys.insert(.create) }
        guard event.type == EventType.member, let target = event.stateKey,
            let membership = event.content["membership"]?.stringValue
        else { return keys }
        keys.insert(.member(target))
        if ["join", "invite", "knock"].contains(membership) { keys.insert(.joinRules) }
        if membership == "invite", let token = event.content["third_party_invite"]?["signed"]?["token"]?.stringValue {
            keys.insert(StateKey(EventType.thirdPartyInvite, token))
        }
        if membership == "join", let authoriser = event.content["join_authorised_via_users_server"]?.stringValue {
            keys.insert(.member(authoriser))
        }
        return keys
    }

    /// The events of `state` an event should name as its auth events; for v12 without the create event.
    public static func select(for event: PDU, from state: StateMap) -> [String] {
        keys(for: event).sorted().compactMap { state[$0] }
    }
}
