import MatrixModel

/// The state keys whose events the auth rules may consult for an event: during the iterative auth
/// checks these are looked up in the state being resolved.
///
/// Kept here until the auth side's selection lands on main. It follows Synapse's
/// `auth_types_for_event`: the create event is listed for every version, because in v12 the rules
/// still need it although `auth_events` never lists it.
enum AuthTypes {
    static func keys(for event: PDU) -> [StateKey] {
        guard !event.isCreateEvent else { return [] }
        var keys: [StateKey] = [.create, .powerLevels, .member(event.sender)]
        guard event.type == EventType.member, let target = event.stateKey else { return keys }
        keys.append(.member(target))
        let membership = event.membership
        if membership == "join" || membership == "invite" || membership == "knock" {
            keys.append(.joinRules)
        }
        if membership == "invite",
            let token = event.content["third_party_invite"]?["signed"]?["token"]?.stringValue
        {
            keys.append(StateKey(EventType.thirdPartyInvite, token))
        }
        if membership == "join", let authoriser = event.content["join_authorised_via_users_server"]?.stringValue {
            keys.append(.member(authoriser))
        }
        return keys
    }
}
