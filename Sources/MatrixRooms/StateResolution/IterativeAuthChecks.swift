/// The *iterative auth checks*: apply events in order to a state, keeping each one the auth rules
/// allow against that state.
enum IterativeAuthChecks {
    /// A decision of the auth rules on an event against the state it is judged by; the resolver
    /// passes ``AuthRules/check(_:state:)``, unit tests a rule of their own.
    typealias Authorise = @Sendable (PDU, [StateKey: PDU]) -> AuthDecision

    /// Applies `order` to `state`. Each event is judged against its own auth events, replaced by
    /// the state's event wherever the state has one for a key the rules consult, so that a ban or
    /// a power change resolved earlier binds events that did not see it.
    ///
    /// Rejected events are never used as auth events (the spec excludes them). The events being
    /// applied are judged afresh even if they were rejected before: the spec says a rejection
    /// against the state at the event does not carry into resolution. (Synapse skips them,
    /// knowingly against the spec: matrix-org/synapse#13797.) Unknown or non-state events are
    /// skipped.
    static func apply(
        _ order: [String], to state: StateMap, events: ResolutionEvents, authorise: Authorise
    ) -> StateMap {
        var state = state
        for id in order {
            guard let event = events[id], let key = event.stateMapKey else { continue }
            var authEvents: [StateKey: PDU] = [:]
            for authID in event.authEventIDsIncludingCreate {
                guard let authEvent = events[authID], !events.isRejected(authID),
                    let authKey = authEvent.stateMapKey
                else { continue }
                authEvents[authKey] = authEvent
            }
            for authKey in authKeys(for: event) {
                guard let stateID = state[authKey], let stateEvent = events[stateID], !events.isRejected(stateID)
                else { continue }
                authEvents[authKey] = stateEvent
            }
            if authorise(event, authEvents).isAllowed { state[key] = id }
        }
        return state
    }

    /// The keys under which the state's event replaces the event's own auth event: those of
    /// ``AuthEventSelection``, and the create event in every version, as Synapse's
    /// `auth_types_for_event` has it (v12 never lists it, but its rules still read it).
    static func authKeys(for event: PDU) -> Set<StateKey> {
        var keys = AuthEventSelection.keys(for: event)
        if !event.isCreateEvent { keys.insert(.create) }
        return keys
    }

    /// The events ``apply(_:to:events:authorise:)`` will look at besides those of `order`: their
    /// auth events and the state's events under the keys their rules consult. The state's other
    /// keys may change as `order` is applied, but only to events of `order` itself.
    static func eventsNeeded(for order: [String], state: StateMap, events: ResolutionEvents) -> Set<String> {
        var needed = Set<String>()
        for id in order {
            guard let event = events[id] else { continue }
            needed.formUnion(event.authEventIDsIncludingCreate)
            for authKey in authKeys(for: event) {
                if let stateID = state[authKey] { needed.insert(stateID) }
            }
        }
        return needed
    }
}
