/// State resolution v2 (rooms v10, v11) and v2.1 (room v12, MSC4297): the state of a room where its
/// DAG forks, the resolution of the states at the forks' tips.
///
/// https://spec.matrix.org/latest/rooms/v2/#state-resolution and
/// https://spec.matrix.org/latest/rooms/v12/#state-resolution. Where the spec leaves room for
/// reading, Keyport reads it as Synapse does (each place says so), because a resolution that differs
/// from the rest of the federation splits the room.
public enum StateResolver {
    /// Resolves `stateSets` (each a state map of event IDs) into one state map.
    ///
    /// Events come from `source`. Events it does not hold, events of another room than the one
    /// being resolved, and events the auth rules reject along the way are left out of the result;
    /// nothing about the events makes resolution fail, only an error of `source` does.
    ///
    /// - Parameter roomID: the room resolved. By default it is the room of the create event the
    ///   state sets name (the one most of them name, if they differ).
    public static func resolve(
        version: RoomVersion, stateSets: [StateMap], source: some StateResolutionSource, roomID: String? = nil
    ) async throws -> StateMap {
        try await resolve(
            version: version, stateSets: stateSets, source: source, roomID: roomID,
            authorise: { event, state in AuthRules.check(event, state: state) })
    }

    /// The algorithm, with the auth rules as a parameter so unit tests can judge by rules of their own.
    static func resolve(
        version: RoomVersion, stateSets: [StateMap], source: some StateResolutionSource, roomID: String?,
        authorise: IterativeAuthChecks.Authorise
    ) async throws -> StateMap {
        let split = ConflictedState(splitting: stateSets)
        guard !split.conflicted.isEmpty else { return split.unconflicted }
        let conflictedEvents = split.conflictedEventIDs

        // The full conflicted set: the conflicted events, the auth difference and, from v2.1, the
        // conflicted state subgraph.
        var fullConflictedSet = conflictedEvents
        fullConflictedSet.formUnion(try await source.authDifference(of: stateSets.map { Set($0.values) }))
        if version.stateResolution == .v21 {
            fullConflictedSet.formUnion(try await source.conflictedSubgraph(of: conflictedEvents))
        }

        var room = roomID
        if room == nil { room = try await inferredRoomID(of: stateSets, source: source) }
        var events = ResolutionEvents(roomID: room)
        try await events.load(fullConflictedSet, from: source)
        fullConflictedSet = fullConflictedSet.filter { events[$0] != nil }

        // 1. The power events and the conflicted part of their auth chains, in reverse topological
        //    power order.
        let powerEvents = fullConflictedSet.filter { events[$0]?.isPowerEvent == true }
        let graph = PowerOrdering.authGraph(from: powerEvents, within: fullConflictedSet) { id in
            events[id]?.authEventIDsIncludingCreate ?? []
        }
        try await events.loadAuthEvents(of: graph.keys, from: source)
        var powerLevels: [String: Int64] = [:]
        powerLevels.reserveCapacity(graph.count)
        for id in graph.keys {
            guard let event = events[id] else { continue }
            let authEvents = event.authEventIDsIncludingCreate.compactMap { events[$0] }
            powerLevels[id] = SenderPowerLevel.of(event, authEvents: authEvents)
        }
        let sortedPowerEvents = PowerOrdering.sort(
            graph, powerLevel: { powerLevels[$0] ?? 0 }, originServerTS: { events[$0]?.originServerTS ?? 0 })

        // 2. Their iterative auth checks: v2 starts from the unconflicted state; v2.1 from nothing,
        //    so that an unconflicted but bogus event cannot authorise them (each event's own auth
        //    events stand in for a missing key).
        let initialState = version.stateResolution == .v21 ? [:] : split.unconflicted
        try await events.load(
            IterativeAuthChecks.eventsNeeded(for: sortedPowerEvents, state: initialState, events: events), from: source)
        let partialState = IterativeAuthChecks.apply(
            sortedPowerEvents, to: initialState, events: events, authorise: authorise)

        // 3. The other events, in mainline order of the power levels just resolved.
        let placed = Set(sortedPowerEvents)
        let remaining = fullConflictedSet.filter { !placed.contains($0) }.compactMap { events[$0] }
        let sortedRemaining = try await mainlineOrder(
            remaining, powerLevels: partialState[.powerLevels], events: &events, source: source)

        // 4. Their iterative auth checks, from the partially resolved state.
        try await events.load(
            IterativeAuthChecks.eventsNeeded(for: sortedRemaining, state: partialState, events: events), from: source)
        var resolved = IterativeAuthChecks.apply(
            sortedRemaining, to: partialState, events: events, authorise: authorise)

        // 5. The unconflicted state wins over anything resolved (in v2.1 this is where it enters).
        resolved.merge(split.unconflicted) { _, unconflicted in unconflicted }
        return resolved
    }

    /// Orders `remaining` by mainline, loading the power levels history of the resolved power levels
    /// and of each event one generation at a time.
    private static func mainlineOrder(
        _ remaining: [PDU], powerLevels: String?, events: inout ResolutionEvents,
        source: some StateResolutionSource
    ) async throws -> [String] {
        guard !remaining.isEmpty else { return [] }
        // Every event whose power levels parent the ordering will ask for is loaded with its auth
        // events before the (synchronous) ordering runs.
        var frontier = Set(remaining.map(\.eventID))
        if let powerLevels {
            try await events.load([powerLevels], from: source)
            frontier.insert(powerLevels)
        }
        var visited = frontier
        while !frontier.isEmpty {
            try await events.loadAuthEvents(of: frontier, from: source)
            var next = Set<String>()
            for id in frontier {
                if let parent = events.powerLevelsParent(of: id), visited.insert(parent).inserted {
                    next.insert(parent)
                }
            }
            frontier = next
        }
        let mainline = MainlineOrdering.mainline(from: powerLevels) { [events] in events.powerLevelsParent(of: $0) }
        return MainlineOrdering.sort(remaining, mainline: mainline) { [events] in events.powerLevelsParent(of: $0) }
    }

    /// The room of the create event the state sets name; if they name different ones (which only a
    /// broken or hostile fork can), the one most sets name, then the smallest room ID.
    private static func inferredRoomID(
        of stateSets: [StateMap], source: some StateResolutionSource
    ) async throws -> String? {
        let createIDs = stateSets.compactMap { $0[.create] }
        guard !createIDs.isEmpty else { return nil }
        let creates = try await source.events(Set(createIDs))
        var votes: [String: Int] = [:]
        for id in createIDs {
            if let create = creates[id], create.isCreateEvent { votes[create.roomID, default: 0] += 1 }
        }
        return votes.max { lhs, rhs in
            lhs.value != rhs.value ? lhs.value < rhs.value : rhs.key.utf8.lexicographicallyPrecedes(lhs.key.utf8)
        }?.key
    }
}
