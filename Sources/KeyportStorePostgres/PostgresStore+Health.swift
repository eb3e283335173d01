public import KeyportStore
import PostgresNIO

extension PostgresStore: StoreHealth {
    /// The pool reaches the server and it answers a query.
    public func checkReachable() async throws {
        _ = try await read { db in try await db.value(Int.self, "SELECT 1") }
    }
}
