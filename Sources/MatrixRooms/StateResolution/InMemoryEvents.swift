/// A ``StateResolutionSource`` over events held in memory: for tests, fixtures and the operator's
/// `keyport events resolve` command, where every event is given up front.
public struct InMemoryEvents: StateResolutionSource {
    public let eventsByID: [String: PDU]
    public let rejected: Set<String>

    /// Later events with an ID already seen replace earlier ones.
    public init(_ events: some Sequence<PDU>, rejected: Set<String> = []) {
        var byID: [String: PDU] = [:]
        for event in events { byID[event.eventID] = event }
        eventsByID = byID
        self.rejected = rejected
    }

    public func events(_ ids: Set<String>) -> [String: PDU] {
        var found: [String: PDU] = [:]
        found.reserveCapacity(ids.count)
        for id in ids {
            if let event = eventsByID[id] { found[id] = event }
        }
        return found
    }

    public func rejectedEvents(among ids: Set<String>) -> Set<String> { ids.intersection(rejected) }

    /// A depth-first walk of the dictionary, without the batching a store needs.
    public func authChain(of ids: Set<String>) -> Set<String> {
        var chain = Set<String>()
        var stack = Array(ids)
        while let id = stack.popLast() {
            guard let event = eventsByID[id], chain.insert(id).inserted else { continue }
            stack.append(contentsOf: event.authEventIDsIncludingCreate)
        }
        return chain
    }
}
