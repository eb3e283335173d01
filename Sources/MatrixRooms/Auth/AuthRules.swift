/// The authorisation rules of rooms v10–v12 (https://spec.matrix.org/latest/rooms/v12/#authorisation-rules).
public enum AuthRules {
    /// The state-dependent rules (4–11) judged against `state`: the event's auth events, the state
    /// before it, or the current state.
    public static func check(_ event: PDU, state: [StateKey: PDU]) -> AuthDecision {
        _ = (event, state)
        return .allowed
    }
}

/// The verdict of the auth rules.
public enum AuthDecision: Sendable, Equatable {
    case allowed
    case rejected(String)

    public var isAllowed: Bool { self == .allowed }
}
