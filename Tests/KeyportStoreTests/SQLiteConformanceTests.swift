import Foundation
import KeyportStore
import KeyportStoreConformance
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Runs the store conformance suite against `SQLiteStore`, each check on its own temporary file.
@Suite("SQLiteStore conformance")
struct SQLiteConformanceTests {
    /// A directory removed when the test that made it ends.
    final class TemporaryDirectory: Sendable {
        let url: URL

        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent(
                "keyport-store-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }

        /// A database path in this directory, fresh on every call.
        func newDatabasePath() -> String { url.appendingPathComponent("\(UUID().uuidString).sqlite").path }

        deinit { try? FileManager.default.removeItem(at: url) }
    }

    @Test(arguments: StoreConformance.checks)
    func conformance(check: StoreCheck) async throws {
        let directory = try TemporaryDirectory()
        try await check.run { try SQLiteStore(path: directory.newDatabasePath()) }
        withExtendedLifetime(directory) {}
    }

    @Test("data survives closing and reopening the file")
    func reopen() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.newDatabasePath()
        try await StoreConformance.dataSurvivesReopening { try SQLiteStore(path: path) }
        #expect(FileManager.default.fileExists(atPath: path))
        withExtendedLifetime(directory) {}
    }

    @Test("opening creates missing parent directories")
    func createsDirectories() throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("a/b/keyport.sqlite").path
        _ = try SQLiteStore(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
    }
}
