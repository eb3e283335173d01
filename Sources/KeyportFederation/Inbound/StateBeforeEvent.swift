import KeyportServices
import KeyportStore
import MatrixRooms

/// The state of a room *before* an event, which `/state` and `/state_ids` answer with ("prior to
/// considering any state changes induced by the requested event"), from the state *after* each
/// event that the store records.
///
/// The state before an event E is the state after it with E's own key put back as it was: the
/// other keys are the same on both sides. For a message (or a state event that did not take its
/// key) the two states are equal. For a state event, the value its key had comes from E's prev
/// events: the state before E is the state after its only prev event, or the resolution of the
/// states after its prev events when there are several. So the value is the one every prev's
/// state has for the key when they agree (resolution keeps a key that is not in conflict); when
/// they differ, those states are resolved with the room version's algorithm and the value taken
/// from the result — the state E was built on, as any server computes it. A create event, whose
/// state before is empty, has no prev events and loses its key.
///
/// Synapse keeps the replaced event in `unsigned.replaces_state` when it stores an event and reads
/// it back here; the stored PDU has no `unsigned`, so the value is worked out from the graph.
struct StateBeforeEvent: Sendable {
    let store: any RoomStore
    let version: RoomVersion

    /// The state before `event`, or nil when the store records no state at it (an outlier, or a
    /// rejected event).
    func state(before event: RoomEvent) async throws -> RoomStateIDs? {
        guard var state = try await store.stateAfter(eventID: event.eventID) else { return nil }
        guard let stateKey = event.stateKey else { return state }
        let key = RoomStateKey(event.type, stateKey)
        guard state[key] == event.eventID else { return state }
        state[key] = try await value(of: key, before: event)
        return state
    }

    /// The event the key named before `event`: from the states after its prev events. Prev events
    /// with no recorded state (outliers, rejected events) are passed over; with none left the key
    /// had no value.
    private func value(of key: RoomStateKey, before event: RoomEvent) async throws -> String? {
        var states: [RoomStateIDs] = []
        var asked = Set<String>()
        for prev in event.prevEvents where asked.insert(prev).inserted {
            if let state = try await store.stateAfter(eventID: prev) { states.append(state) }
        }
        guard let first = states.first else { return nil }
        if states.allSatisfy({ $0[key] == first[key] }) { return first[key] }
        let resolved = try await StateResolver.resolve(
            version: version, stateSets: states.map(Self.stateMap),
            source: StoreResolutionSource(store: store, version: version), roomID: event.roomID)
        return resolved[key.stateKeyValue]
    }

    private static func stateMap(_ state: RoomStateIDs) -> StateMap {
        StateMap(uniqueKeysWithValues: state.map { ($0.key.stateKeyValue, $0.value) })
    }
}
