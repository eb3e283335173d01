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

    /// Walks `auth_events` (with v12's implicit create event) breadth first, one batch of
    /// ``events(_:)`` per generation, so a store answers in as many round trips as the chain is deep.
    public func authChain(of ids: Set<String>) async throws -> Set<String> {
        var chain = Set<String>()
        var asked = ids
        var frontier = ids
        while !frontier.isEmpty {
            let found = try await events(frontier)
            chain.formUnion(found.keys)
            var next = Set<String>()
            for event in found.values {
                for parent in event.authEventIDsIncludingCreate where asked.insert(parent).inserted {
                    next.insert(parent)
                }
            }
            frontier = next
        }
        return chain
    }

    /// Computes the difference from auth chains. Events named by every state set are walked once:
    /// their chain lies in every set's chain, so it is walked separately and only subtracted.
    public func authDifference(of stateSets: [Set<String>]) async throws -> Set<String> {
        guard let first = stateSets.first else { return [] }
        let shared = stateSets.dropFirst().reduce(first) { $0.intersection($1) }
        let sharedChain = try await authChain(of: shared)
        var ownChains: [Set<String>] = []
        ownChains.reserveCapacity(stateSets.count)
        for stateSet in stateSets {
            ownChains.append(try await authChain(of: stateSet.subtracting(shared)))
        }
        return AuthDifference.of(chains: ownChains).subtracting(sharedChain)
    }

    /// Loads the auth chains of the conflicted events and keeps the events from which a conflicted
    /// event can be reached again.
    public func conflictedSubgraph(of conflicted: Set<String>) async throws -> Set<String> {
        let reachable = try await authChain(of: conflicted)
        let found = try await events(reachable)
        return ConflictedSubgraph.of(conflicted: conflicted) { id in found[id]?.authEventIDsIncludingCreate ?? [] }
    }
}
