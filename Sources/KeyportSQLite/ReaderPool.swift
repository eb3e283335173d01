/// The reader connections of a pool: opened when first needed, up to a maximum, then lent out one
/// read at a time. A read that finds none free waits, first come first served.
actor ReaderPool {
    private let maximumCount: Int
    private let open: @Sendable (Int) throws -> SerializedDatabase
    private var idle: [SerializedDatabase] = []
    private var openCount = 0
    private var waiters: [CheckedContinuation<SerializedDatabase, Never>] = []

    init(maximumCount: Int, open: @escaping @Sendable (Int) throws -> SerializedDatabase) {
        precondition(maximumCount > 0, "a pool needs at least one reader")
        self.maximumCount = maximumCount
        self.open = open
    }

    /// A reader for the caller alone, until it gives it back.
    func take() async throws -> SerializedDatabase {
        if let reader = idle.popLast() { return reader }
        if openCount < maximumCount {
            openCount += 1
            do {
                return try open(openCount)
            } catch {
                openCount -= 1
                throw error
            }
        }
        return await withCheckedContinuation { waiters.append($0) }
    }

    /// Returns a reader taken with ``take()``, handing it straight to the longest waiter if any.
    func giveBack(_ reader: SerializedDatabase) {
        if waiters.isEmpty {
            idle.append(reader)
        } else {
            waiters.removeFirst().resume(returning: reader)
        }
    }
}
