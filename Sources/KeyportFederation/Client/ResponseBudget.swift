/// Bytes of outbound answers being read at once, across all requests. A reservation that would go
/// past the capacity is refused rather than queued: a waiting reader would hold what it has, and
/// two of them could wait on each other forever.
actor ResponseBudget {
    let capacity: Int
    private(set) var inUse = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Takes `bytes` if they fit; false otherwise.
    func reserve(_ bytes: Int) -> Bool {
        guard bytes <= capacity - inUse else { return false }
        inUse += bytes
        return true
    }

    /// Gives back what `reserve` took.
    func release(_ bytes: Int) {
        inUse -= bytes
    }
}
