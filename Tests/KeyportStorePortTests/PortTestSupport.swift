import Foundation
import KeyportPostgresTestSupport
import KeyportProgress
import KeyportStorePort
import KeyportStorePostgres

/// Runs `body` with a fresh directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("keyport-port-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// The progress lines a port wrote, as a log would get them.
final class ProgressLines {
    var lines: [String] = []

    func reporter() -> ProgressReporter {
        ProgressReporter(
            title: "Copying rows", output: ProgressOutput(isTerminal: false) { self.lines.append($0) },
            interval: .zero)
    }
}

/// Ports `sqlitePath` into the PostgreSQL `settings` name, in batches of `batchSize` rows.
func port(
    _ sqlitePath: String, to settings: PostgresStore.Settings, batchSize: Int = 1000,
    progress: ProgressLines = ProgressLines()
) async throws(PortError) -> StorePort.Summary {
    var port = StorePort(sqlitePath: sqlitePath, postgres: settings, logger: TestPostgres.logger)
    port.batchSize = batchSize
    return try await port.run(progress: progress.reporter())
}

/// A PostgreSQL no one listens for: the refusals that come before connecting need no server.
let nowhere = PostgresStore.Settings(endpoint: .tcp(host: "127.0.0.1", port: 1), user: "nobody", database: "none")
