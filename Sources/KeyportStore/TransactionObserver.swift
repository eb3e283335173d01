/// Told of every transaction an engine runs, for metrics: when one starts (waiting for a
/// connection included) and how long it took in all. Engines call it around their single
/// transaction entry points; the default does nothing.
public struct TransactionObserver: Sendable {
    public enum Kind: String, Sendable {
        case read, write
    }

    public let began: @Sendable (Kind) -> Void
    public let ended: @Sendable (Kind, Duration) -> Void

    public init(began: @escaping @Sendable (Kind) -> Void, ended: @escaping @Sendable (Kind, Duration) -> Void) {
        self.began = began
        self.ended = ended
    }

    /// Observes nothing.
    public static let none = TransactionObserver(began: { _ in }, ended: { _, _ in })

    /// Runs `body` between `began` and `ended`.
    public func observe<T>(_ kind: Kind, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        began(kind)
        defer { ended(kind, ContinuousClock.now - start) }
        return try await body()
    }
}
