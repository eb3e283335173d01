/// Where state resolution gets its events and auth chains from.
///
/// The algorithm does no I/O: a store, an in-memory map (``InMemoryEvents``) or a federation
/// fetcher supplies events through this protocol. Only ``events(_:)`` is required; the auth-chain
/// questions have default answers computed from events, which a store with an auth-chain index can
/// answer faster by implementing them itself.
public protocol StateResolutionSource: Sendable {
    /// The events among `ids` that the source holds, by event ID. Unknown IDs are left out: state
    /// resolution ignores events it cannot see rather than failing.
    func events(_ ids: Set<String>) async throws -> [String: PDU]

    /// The events among `ids` that were rejected by the auth rules. The spec keeps rejected events
    /// from being used as auth events in the iterative auth checks.
    func rejectedEvents(among ids: Set<String>) async throws -> Set<String>

    /// The union of the auth chains of `ids`, including the events of `ids` the source holds.
    ///
    /// The spec's auth chain of an event leaves the event out; Synapse's store (whose answers the
    /// rest of the federation effectively follows) puts it in. It matters for the auth difference:
    /// an event in every state set is then never part of it.
    func authChain(of ids: Set<String>) async throws -> Set<String>

    /// The *auth difference* of the state sets (each given as its event IDs): the events in the
    /// auth chain of some set but not of all.
    func authDifference(of stateSets: [Set<String>]) async throws -> Set<String>

    /// The *conflicted state subgraph* (state res v2.1): every event on an auth path from one
    /// conflicted event to another, the conflicted events included.
    func conflictedSubgraph(of conflicted: Set<String>) async throws -> Set<String>
}

extension StateResolutionSource {
    /// No event is known to be rejected.
    public func rejectedEvents(among ids: Set<String>) async throws -> Set<String> { [] }

    /// Walks the auth graph from ``events(_:)`` (see ``authGraph(below:)``).
    public func authChain(of ids: Set<String>) async throws -> Set<String> {
        Set(try await authGraph(below: ids).keys)
    }

    /// Computes the difference from one walk of the auth graph below all the state sets.
    ///
    /// The events every state set names are walked in memory once: their chain lies in every set's
    /// chain, so it is only subtracted, and each set's own walk stops where it meets it (an auth
    /// chain holds the chains of its events). In a big room the shared part is nearly everything.
    public func authDifference(of stateSets: [Set<String>]) async throws -> Set<String> {
        guard stateSets.count > 1, let first = stateSets.first else { return [] }
        let graph = try await authGraph(below: stateSets.reduce(into: Set<String>()) { $0.formUnion($1) })
        let shared = stateSets.dropFirst().reduce(first) { $0.intersection($1) }
        let sharedChain = Self.closure(of: shared, in: graph, stoppingAt: [])
        let ownChains = stateSets.map { Self.closure(of: $0.subtracting(shared), in: graph, stoppingAt: sharedChain) }
        return AuthDifference.of(chains: ownChains)
    }

    /// Walks the auth graph below the conflicted events and keeps the events from which a
    /// conflicted event can be reached again.
    public func conflictedSubgraph(of conflicted: Set<String>) async throws -> Set<String> {
        let graph = try await authGraph(below: conflicted)
        return ConflictedSubgraph.of(conflicted: conflicted) { graph[$0] ?? [] }
    }

    /// The auth graph below `ids`: every event reachable through `auth_events` (with v12's implicit
    /// create event) that the source holds, `ids` included, mapped to its auth events. Fetched
    /// breadth first, one ``events(_:)`` call per generation, so a store answers in as many round
    /// trips as the graph is deep rather than one per event.
    func authGraph(below ids: Set<String>) async throws -> [String: [String]] {
        var graph: [String: [String]] = [:]
        var asked = ids
        var frontier = ids
        while !frontier.isEmpty {
            let found = try await events(frontier)
            var next = Set<String>()
            for (id, event) in found {
                let parents = event.authEventIDsIncludingCreate
                graph[id] = parents
                for parent in parents where asked.insert(parent).inserted { next.insert(parent) }
            }
            frontier = next
        }
        return graph
    }

    /// The events of `ids` in `graph` and their ancestors, not entering `stop` (which must hold
    /// the ancestors of its events, as an auth chain does).
    private static func closure(
        of ids: Set<String>, in graph: [String: [String]], stoppingAt stop: Set<String>
    ) -> Set<String> {
        var chain = Set<String>()
        var stack = Array(ids)
        while let id = stack.popLast() {
            guard let parents = graph[id], !stop.contains(id), chain.insert(id).inserted else { continue }
            stack.append(contentsOf: parents)
        }
        return chain
    }
}
