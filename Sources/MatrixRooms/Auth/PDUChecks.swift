/// The three checks a server makes of a PDU it receives
/// (https://spec.matrix.org/latest/server-server-api/#checks-performed-on-receipt-of-a-pdu), after
/// format, hashes and signatures: against the event's own auth events (rejection), against the state
/// before the event (rejection), and against the room's current state (soft failure).
public enum PDUChecks {
    /// Check 4: the event against the auth events it names. `authEvents` must hold every event the
    /// event lists (and, for v12, the create event, which it never lists); `rejected` names events
    /// known to have been rejected.
    public static func againstAuthEvents(
        _ event: PDU, authEvents: [String: PDU], rejected: Set<String> = []
    ) -> AuthDecision {
        if event.type == EventType.create { return AuthRules.checkCreate(event) }
        var state: [StateKey: PDU] = [:]
        if event.roomVersion.roomIDIsCreateEventHash {
            // Rule 2 (v12): the room ID names an accepted create event.
            let createID = "$" + event.roomID.dropFirst()
            guard event.roomID.hasPrefix("!"), let create = authEvents[createID], create.type == EventType.create,
                create.stateKey == ""
            else { return .rejected("the room ID does not name a known create event") }
            if rejected.contains(createID) { return .rejected("the room's create event was rejected") }
            state[.create] = create
        }
        let expected = AuthEventSelection.keys(for: event)
        for id in event.authEvents {
            guard let authEvent = authEvents[id] else { return .rejected("auth event \(id) is not known") }
            // Rule 3.5 (MSC4307): auth events come from the same room.
            if authEvent.roomID != event.roomID { return .rejected("auth event \(id) is from another room") }
            guard let key = authEvent.stateMapKey else { return .rejected("auth event \(id) is not a state event") }
            // Rule 3.1.
            if let other = state[key],
                !(key == .create && other == authEvent && !event.roomVersion.createEventInAuthEvents)
            {
                return .rejected("auth events \(other.eventID) and \(id) share the key \(key)")
            }
            // Rule 3.2: only the keys the selection algorithm names (never the create event in v12).
            guard expected.contains(key) else { return .rejected("auth event \(id) has the unexpected key \(key)") }
            // Rule 3.3.
            if rejected.contains(id) { return .rejected("auth event \(id) was rejected") }
            state[key] = authEvent
        }
        if state[.create] == nil { return .rejected("the auth events hold no m.room.create event") }
        return AuthRules.check(event, state: state)
    }

    /// Check 5: the event against the state before it, with the auth events the selection algorithm
    /// picks from that state (and the create event).
    public static func againstState(_ event: PDU, state: [StateKey: PDU]) -> AuthDecision {
        if event.type == EventType.create { return AuthRules.checkCreate(event) }
        var authState: [StateKey: PDU] = [:]
        for key in AuthEventSelection.keys(for: event).union([.create]) {
            if let authEvent = state[key] { authState[key] = authEvent }
        }
        return AuthRules.check(event, state: authState)
    }

    /// Check 6: the event against the room's current state. An event that fails here but passed the
    /// other checks is soft-failed: kept in the DAG, not shown to clients, not used as a prev event.
    public static func softFailCheck(_ event: PDU, currentState: [StateKey: PDU]) -> AuthDecision {
        againstState(event, state: currentState)
    }
}
