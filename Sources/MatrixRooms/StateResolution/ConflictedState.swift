/// The first step of state resolution: what all state sets agree on, and what they don't.
public struct ConflictedState: Sendable, Equatable {
    /// The keys every state set maps to the same event.
    public var unconflicted: StateMap
    /// The other keys, each with the events the state sets that have it name. A key missing from
    /// some state set is conflicted even if the others agree (as Synapse and ruma split), so an
    /// event one fork never had is resolved rather than taken on trust.
    public var conflicted: [StateKey: Set<String>]

    public init(splitting stateSets: [StateMap]) {
        unconflicted = [:]
        conflicted = [:]
        guard let first = stateSets.first else { return }
        var keys = Set(first.keys)
        for stateSet in stateSets.dropFirst() { keys.formUnion(stateSet.keys) }
        for key in keys {
            var ids = Set<String>()
            var missing = false
            for stateSet in stateSets {
                if let id = stateSet[key] { ids.insert(id) } else { missing = true }
            }
            if !missing, ids.count == 1, let id = ids.first {
                unconflicted[key] = id
            } else {
                conflicted[key] = ids
            }
        }
    }

    /// The conflicted state set: every event named under a conflicted key.
    public var conflictedEventIDs: Set<String> {
        conflicted.values.reduce(into: Set<String>()) { $0.formUnion($1) }
    }
}
