import Foundation
import KeyportStorePort
import KeyportStoreSQLite
import Testing

/// The port's table list against the SQLite schema this Keyport makes.
@Suite("The port's table list")
struct PortPlanTests {
    @Test("every table of the SQLite schema is ported or skipped with a reason, and the list names no other")
    func everyTableDecided() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("keyport.db").path
            _ = try SQLiteStore(path: path)
            let tables = try await SQLiteExport(path: path).tables()
            #expect(
                PortPlan.undecided(among: tables) == [],
                "a table was added to SQLiteMigrations: add it to PortPlan.ported (and PostgresMigrations) or to PortPlan.skipped with the reason"
            )
            let listed = PortPlan.ported.map(\.name) + PortPlan.skipped.keys
            #expect(Set(listed).subtracting(tables).sorted() == [], "PortPlan names tables SQLite does not have")
            #expect(listed.count == Set(listed).count, "a table is listed twice")
            #expect(PortPlan.skipped.values.allSatisfy { !$0.isEmpty })
        }
    }
}
