import Foundation
import KeyportSQLite
public import KeyportStore

extension SQLiteStore: StoreHealth {
    /// The database file is still where it was opened (an open connection would go on reading a
    /// file that was deleted or whose volume went away) and answers a query.
    public func checkReachable() async throws {
        guard FileManager.default.fileExists(atPath: pool.path) else { throw StoreError.notFound }
        _ = try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT 1") }
    }
}
