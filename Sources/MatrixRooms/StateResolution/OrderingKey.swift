/// The sort key both orderings of state resolution end in: a rank, then `origin_server_ts`, then
/// the event ID.
///
/// Event IDs compare by their UTF-8 bytes, which is code-point order: what Synapse's Python
/// strings and ruma's Rust strings do. Swift's `String <` compares by Unicode canonical
/// equivalence, which could order two IDs differently from the rest of the federation.
struct OrderingKey: Comparable {
    /// Smaller sorts first: the negated sender power level, or the mainline depth.
    let rank: Int64
    let originServerTS: Int64
    let eventID: String

    static func < (lhs: OrderingKey, rhs: OrderingKey) -> Bool {
        if lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
        if lhs.originServerTS != rhs.originServerTS { return lhs.originServerTS < rhs.originServerTS }
        return lhs.eventID.utf8.lexicographicallyPrecedes(rhs.eventID.utf8)
    }

    static func == (lhs: OrderingKey, rhs: OrderingKey) -> Bool {
        lhs.rank == rhs.rank && lhs.originServerTS == rhs.originServerTS
            && lhs.eventID.utf8.elementsEqual(rhs.eventID.utf8)
    }
}
