/// Whether the database can be used right now: what `GET /health` reports to load balancers.
public protocol StoreHealth: Sendable {
    /// Returns when the database answers a query; throws when it cannot be reached or read.
    func checkReachable() async throws
}
