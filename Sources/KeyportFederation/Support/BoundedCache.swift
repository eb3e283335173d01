/// A dictionary that keeps at most `capacity` entries. Past it, the least recently used entries
/// are dropped down to three quarters of the capacity in one pass, so the cost of keeping the
/// bound is one sort per `capacity / 4` insertions.
struct BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var entries: [Key: (value: Value, used: UInt64)] = [:]
    private var tick: UInt64 = 0
    let capacity: Int

    init(capacity: Int) {
        precondition(capacity > 0, "a cache holds at least one entry")
        self.capacity = capacity
    }

    var count: Int { entries.count }

    /// The value for `key`, counting as a use; nil when absent. Setting nil removes the entry.
    subscript(key: Key) -> Value? {
        mutating get {
            guard let entry = entries[key] else { return nil }
            tick += 1
            entries[key] = (entry.value, tick)
            return entry.value
        }
        set {
            guard let newValue else {
                entries[key] = nil
                return
            }
            tick += 1
            entries[key] = (newValue, tick)
            if entries.count > capacity { evict() }
        }
    }

    /// Whether `key` is present, without counting as a use.
    func contains(_ key: Key) -> Bool {
        entries[key] != nil
    }

    private mutating func evict() {
        let keep = max(capacity * 3 / 4, 1)
        let oldest = entries.sorted { $0.value.used < $1.value.used }.prefix(entries.count - keep)
        for (key, _) in oldest { entries[key] = nil }
    }
}
