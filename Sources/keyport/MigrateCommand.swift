import ArgumentParser
import Foundation
import KeyportProgress
import KeyportServer
import KeyportStorePort
import Logging

/// `keyport migrate-sqlite-to-postgres --from FILE --to-config CONFIG`: copies a SQLite
/// deployment's database into the empty PostgreSQL database the configuration names, with progress
/// on standard error. Exit 0 when copied; 1 with a message when the port refuses or fails (nothing
/// is then written); 2 when the configuration is invalid or not a PostgreSQL one.
struct MigrateSQLiteToPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-sqlite-to-postgres",
        abstract: "Copy a SQLite deployment's database into an empty PostgreSQL database (like synapse_port_db).",
        discussion: """
            Stop Keyport first. The PostgreSQL database must be empty (or hold only an empty Keyport schema); \
            the copy is one transaction, so a failed port leaves no rows in it. Then start Keyport with the \
            same configuration.
            """)

    @Option(name: .long, help: "The SQLite database, e.g. keyport-data/keyport.db.")
    var from: String

    @Option(
        name: .customLong("to-config"), help: "The YAML configuration whose `database` names the PostgreSQL database.")
    var toConfig: String

    func run() async throws {
        let config = try ConfigFile.load(toConfig)
        guard case .postgres(let settings) = config.database else {
            throw fail(
                "\(toConfig) configures SQLite: set its database to PostgreSQL ({name: psycopg2, args: {…}})", status: 2
            )
        }
        var logger = Logger(label: "keyport.migrate")
        logger.logLevel = .error
        let port = StorePort(sqlitePath: from, postgres: settings.storeSettings, logger: logger)
        let summary: StorePort.Summary
        do throws(PortError) {
            summary = try await port.run(progress: ProgressReporter(title: "Copying rows"))
        } catch {
            throw fail(error.message, status: 1)
        }
        print(
            "Copied \(summary.totalRows) rows of \(summary.tables.count) tables from \(from) "
                + "to the PostgreSQL database \(settings.database).")
        for (table, reason) in PortPlan.skipped.sorted(by: { $0.key < $1.key }) {
            print("Not copied: \(table) (\(reason)).")
        }
        if !FileManager.default.fileExists(atPath: config.signingKeyPath) {
            print(
                "Note: \(config.signingKeyPath) (signing_key_path) does not exist. Copy the signing key the SQLite "
                    + "deployment used there, or Keyport will make a new one and other servers will not recognise it.")
        }
        print("Start Keyport on PostgreSQL with: keyport serve --config \(toConfig)")
    }

    private func fail(_ message: String, status: Int32) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(status)
    }
}
