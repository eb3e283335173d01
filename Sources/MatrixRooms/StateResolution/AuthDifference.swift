/// The *auth difference* of state resolution v2: the events in some state set's auth chain but not
/// in every one, ∪Cᵢ − ∩Cᵢ. These are the events one fork may have acted on and another not, so
/// they are resolved again.
public enum AuthDifference {
    /// The difference of the given full auth chains, one per state set, counted in one pass.
    public static func of(chains: [Set<String>]) -> Set<String> {
        guard chains.count > 1 else { return [] }
        var seen: [String: Int] = [:]
        for chain in chains {
            for id in chain { seen[id, default: 0] += 1 }
        }
        var difference = Set<String>()
        for (id, count) in seen where count < chains.count { difference.insert(id) }
        return difference
    }
}
