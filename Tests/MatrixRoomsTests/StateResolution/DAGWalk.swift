import MatrixRooms

/// The state at each event of a DAG, as a server would track it: the state before an event is the
/// resolution of the states after its prev events, and the state after a state event adds it.
/// Events are not auth-checked against the state before them (as in Synapse's graph tests).
struct DAGWalk {
    private(set) var statesAfter: [String: StateMap] = [:]

    /// The state before an event with these prev events.
    func stateBefore(prev: [String], version: RoomVersion, source: some StateResolutionSource) async throws
        -> StateMap
    {
        let states = prev.compactMap { statesAfter[$0] }
        switch states.count {
        case 0: return [:]
        case 1: return states[0]
        default: return try await StateResolver.resolve(version: version, stateSets: states, source: source)
        }
    }

    /// Records `event`, visited after all its prev events, with the state before it.
    mutating func record(_ event: PDU, before: StateMap) {
        var after = before
        if let key = event.stateMapKey { after[key] = event.eventID }
        statesAfter[event.eventID] = after
    }

    /// Walks `events`, given in a topological order.
    static func walk(_ events: [PDU], version: RoomVersion) async throws -> DAGWalk {
        let source = InMemoryEvents(events)
        var walk = DAGWalk()
        for event in events {
            walk.record(
                event, before: try await walk.stateBefore(prev: event.prevEvents, version: version, source: source))
        }
        return walk
    }
}
