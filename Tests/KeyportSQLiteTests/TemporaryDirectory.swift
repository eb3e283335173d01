import Dispatch
import Foundation
import KeyportSQLite

/// A directory removed when the test that made it ends.
final class TemporaryDirectory: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("keyport-sqlite-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A database path in this directory; the same name gives the same file.
    func path(_ name: String = "test.sqlite") -> String { url.appendingPathComponent(name).path }

    /// A pool on a new database in this directory.
    func pool(_ name: String = "test.sqlite", configuration: Configuration = Configuration()) throws -> DatabasePool {
        try DatabasePool(path: path(name), configuration: configuration)
    }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Waits for a semaphore that SQLite work on a connection's queue signals, on a thread of its own:
/// neither a thread of the Swift concurrency pool nor one of Dispatch's few global ones is held.
func wait(for semaphore: DispatchSemaphore) async {
    await withCheckedContinuation { continuation in
        Thread {
            semaphore.wait()
            continuation.resume()
        }.start()
    }
}
