/// The *conflicted state subgraph* of state resolution v2.1 (MSC4297, room v12).
///
/// Under v2 an event between two conflicted events in the auth graph could stay out of the full
/// conflicted set and so never be re-checked, while the conflicted events above it were judged as if
/// it held. v2.1 adds every event on an auth path from one conflicted event to another.
public enum ConflictedSubgraph {
    /// The events lying on an auth path from a conflicted event to a conflicted event, the conflicted
    /// events included: those reachable from a conflicted event that can reach one in turn.
    ///
    /// `authEvents` gives each event's auth events (an unknown event has none). Each event is
    /// visited once, in a depth-first walk without recursion (auth chains can be thousands deep),
    /// and an event's answer is known once all its auth events' are. A cycle, which a well-formed
    /// auth graph never has, is cut where the walk meets it.
    public static func of(conflicted: Set<String>, authEvents: (String) -> [String]) -> Set<String> {
        enum Mark {
            case open
            case done(Bool)
        }
        var marks: [String: Mark] = [:]
        var subgraph = Set<String>()
        // Sorted so that even a malformed, cyclic graph is cut at the same place every time.
        for root in conflicted.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where marks[root] == nil {
            var stack: [(id: String, parents: [String], next: Int)] = [(root, authEvents(root), 0)]
            marks[root] = .open
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].next < stack[top].parents.count {
                    let parent = stack[top].parents[stack[top].next]
                    stack[top].next += 1
                    if marks[parent] == nil {
                        marks[parent] = .open
                        stack.append((parent, authEvents(parent), 0))
                    }
                    continue
                }
                let (id, parents, _) = stack.removeLast()
                var reaches = conflicted.contains(id)
                for parent in parents {
                    if case .done(true)? = marks[parent] { reaches = true }
                }
                marks[id] = .done(reaches)
                if reaches { subgraph.insert(id) }
            }
        }
        return subgraph
    }
}
