import Foundation
public import KeyportStorePostgres
public import Logging
public import PostgresNIO

/// The PostgreSQL the tests use, from `KEYPORT_TEST_POSTGRES`: libpq-style `key=value` pairs
/// separated by spaces, `host` (a name, an address, or a directory holding the Unix socket),
/// `port` (5432), `user`, `password` and `dbname` (the database to connect to for CREATE DATABASE;
/// `postgres`). `scripts/postgres_cluster.sh start` prints such a value. Each check gets a database
/// of its own, `keyport_test_<random>`, dropped afterwards.
public enum TestPostgres {
    public static let variable = "KEYPORT_TEST_POSTGRES"

    public static let value: String? = ProcessInfo.processInfo.environment[variable].flatMap { $0.isEmpty ? nil : $0 }
    public static var isConfigured: Bool { value != nil }
    public static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
    public static let skipMessage =
        "\(variable) is not set: skipped the PostgreSQL half of the store tests "
        + "(start one with scripts/postgres_cluster.sh start, then export what it prints)"

    /// The settings for `database` on the configured server.
    public static func settings(database: String? = nil, maximumConnections: Int = 4) throws -> PostgresStore.Settings {
        guard let value else { throw SettingsError(message: skipMessage) }
        var pairs: [String: String] = [:]
        for item in value.split(separator: " ") where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw SettingsError(message: "\(variable): '\(item)' is not key=value") }
            pairs[parts[0]] = parts[1]
        }
        let host = pairs["host"] ?? "127.0.0.1"
        guard let port = Int(pairs["port"] ?? "5432") else { throw SettingsError(message: "\(variable): bad port") }
        return PostgresStore.Settings(
            endpoint: .libpq(host: host, port: port), user: pairs["user"] ?? "postgres", password: pairs["password"],
            database: database ?? pairs["dbname"] ?? "postgres", maximumConnections: maximumConnections)
    }

    public struct SettingsError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public static let logger: Logger = {
        var logger = Logger(label: "keyport.tests.postgres")
        logger.logLevel = .warning
        return logger
    }()

    /// One connection pool to the maintenance database, for CREATE and DROP DATABASE.
    public static let admin: PostgresClient? = {
        guard let settings = try? settings(maximumConnections: 2) else { return nil }
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        Task { await client.run() }
        return client
    }()

    /// Runs `body` with a fresh, empty database; drops it afterwards.
    public static func withDatabase<T>(_ body: (String) async throws -> T) async throws -> T {
        guard let admin else { throw SettingsError(message: skipMessage) }
        let name = "keyport_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased())"
        // A database name is an identifier, not a value: it cannot be a bind parameter. This one is
        // made above from hex digits only.
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        do {
            let result = try await body(name)
            try await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
            return result
        } catch {
            _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"))
            throw error
        }
    }

    /// Opens stores on one database and shuts every one of them down at the end.
    public actor Stores {
        public let database: String
        private var opened: [PostgresStore] = []

        init(database: String) { self.database = database }

        public func open(
            maximumConnections: Int = 4, isolation: PostgresStore.Settings.WriteIsolation = .readCommitted
        ) throws -> PostgresStore {
            var settings = try TestPostgres.settings(database: database, maximumConnections: maximumConnections)
            settings.writeIsolation = isolation
            let store = PostgresStore(settings: settings, logger: TestPostgres.logger)
            opened.append(store)
            return store
        }

        public func shutdown() async {
            for store in opened { await store.shutdown() }
        }
    }

    /// Runs `body` with stores on a fresh database, shut down and dropped afterwards.
    public static func withStores<T>(_ body: (Stores) async throws -> T) async throws -> T {
        try await withDatabase { name in
            let stores = Stores(database: name)
            do {
                let result = try await body(stores)
                await stores.shutdown()
                return result
            } catch {
                await stores.shutdown()
                throw error
            }
        }
    }
}
