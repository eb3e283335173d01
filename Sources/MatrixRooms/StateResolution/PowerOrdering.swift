/// The *reverse topological power ordering*: the lexicographically smallest topological order of the
/// auth graph, earliest first, where smaller means a more powerful sender, then an earlier
/// `origin_server_ts`, then a smaller event ID.
public enum PowerOrdering {
    /// Sorts the nodes of `authGraph` (each event mapped to its auth events within the graph) with
    /// Kahn's algorithm, taking the smallest ready event at each step.
    ///
    /// `powerLevel` and `originServerTS` give each node's tie-break. An event whose auth events
    /// cannot all be placed (a cycle, which a valid auth graph never has) is left out, as Synapse
    /// and ruma leave it out.
    public static func sort(
        _ authGraph: [String: Set<String>], powerLevel: (String) -> Int64, originServerTS: (String) -> Int64
    ) -> [String] {
        func key(_ id: String) -> OrderingKey {
            OrderingKey(rank: -powerLevel(id), originServerTS: originServerTS(id), eventID: id)
        }
        var waitingOn: [String: Int] = [:]
        var citedBy: [String: [String]] = [:]
        var ready = MinHeap<OrderingKey>()
        for (id, authEvents) in authGraph {
            let inGraph = authEvents.filter { authGraph[$0] != nil }
            waitingOn[id] = inGraph.count
            if inGraph.isEmpty { ready.push(key(id)) }
            for authEvent in inGraph { citedBy[authEvent, default: []].append(id) }
        }
        var sorted: [String] = []
        sorted.reserveCapacity(authGraph.count)
        while let next = ready.pop() {
            sorted.append(next.eventID)
            for child in citedBy[next.eventID] ?? [] {
                let remaining = waitingOn[child, default: 1] - 1
                waitingOn[child] = remaining
                if remaining == 0 { ready.push(key(child)) }
            }
        }
        return sorted
    }

    /// The subgraph the power events span: each event of `start` and, recursively, its auth events
    /// that lie in `fullConflictedSet`, with the edges among them.
    ///
    /// The walk goes on only through events of the full conflicted set, as Synapse and ruma walk; the
    /// spec's wording ("the events in the auth chain of P which also belong to the full conflicted
    /// set") would also take a conflicted event reachable only through an unconflicted one. Under
    /// v2.1 the conflicted subgraph makes the two the same.
    public static func authGraph(
        from start: some Sequence<String>, within fullConflictedSet: Set<String>, authEvents: (String) -> [String]
    ) -> [String: Set<String>] {
        var graph: [String: Set<String>] = [:]
        var stack = Array(start)
        while let id = stack.popLast() {
            guard graph[id] == nil else { continue }
            var edges = Set<String>()
            for parent in authEvents(id) where fullConflictedSet.contains(parent) {
                edges.insert(parent)
                if graph[parent] == nil { stack.append(parent) }
            }
            graph[id] = edges
        }
        return graph
    }
}
