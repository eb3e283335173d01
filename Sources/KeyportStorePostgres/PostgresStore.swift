import Foundation
import KeyportStore
public import Logging
import MatrixModel
public import PostgresNIO

/// The shared engine: every Keyport store protocol on one PostgreSQL database, for one or several
/// Keyport processes.
///
/// The store owns its `PostgresClient` pool: it runs the pool's `run()` in a task of its own from
/// `init` until `shutdown()` (or until the store is released). The schema is migrated once, at the
/// first operation or at `prepare()`, under an advisory lock so processes starting together
/// migrate once.
///
/// Each protocol method is one transaction. Writes run at READ COMMITTED and are retried whole on
/// a serialization failure, a deadlock or a unique violation a concurrent writer caused (see
/// `PostgresTransactionRunner`); reads of more than one statement run in one REPEATABLE READ,
/// READ ONLY snapshot. Stream positions come from one counter row per stream (`StreamCounter`),
/// advanced in the writing transaction, so commit order is position order.
public final class PostgresStore: Sendable {
    /// Where the database is and how many connections the pool keeps.
    public struct Settings: Sendable {
        public enum Endpoint: Sendable, Equatable {
            case tcp(host: String, port: Int)
            case unixSocket(path: String)

            /// libpq's reading of `host` and `port`: a host starting with `/` is the directory of
            /// the server's Unix socket, `.s.PGSQL.<port>`.
            public static func libpq(host: String, port: Int) -> Endpoint {
                host.hasPrefix("/") ? .unixSocket(path: "\(host)/.s.PGSQL.\(port)") : .tcp(host: host, port: port)
            }
        }

        public var endpoint: Endpoint
        public var user: String
        public var password: String?
        public var database: String
        public var minimumConnections: Int
        public var maximumConnections: Int
        /// The isolation level of writing transactions. Every write is correct at each level (a
        /// serialization failure runs it again); READ COMMITTED retries least.
        public var writeIsolation: WriteIsolation = .readCommitted

        public enum WriteIsolation: String, Sendable, CaseIterable {
            case readCommitted = "READ COMMITTED"
            case repeatableRead = "REPEATABLE READ"
            case serializable = "SERIALIZABLE"
        }

        public init(
            endpoint: Endpoint, user: String, password: String? = nil, database: String,
            minimumConnections: Int = 0, maximumConnections: Int = 10
        ) {
            self.endpoint = endpoint
            self.user = user
            self.password = password
            self.database = database
            self.minimumConnections = minimumConnections
            self.maximumConnections = maximumConnections
        }

        /// The pool configuration these settings describe.
        public var clientConfiguration: PostgresClient.Configuration {
            var configuration: PostgresClient.Configuration
            switch endpoint {
            case .tcp(let host, let port):
                configuration = .init(
                    host: host, port: port, username: user, password: password, database: database, tls: .disable)
            case .unixSocket(let path):
                configuration = .init(unixSocketPath: path, username: user, password: password, database: database)
            }
            configuration.options.minimumConnections = minimumConnections
            configuration.options.maximumConnections = max(maximumConnections, minimumConnections + 1)
            return configuration
        }

        /// The same database for one connection of its own, outside any pool: connecting to it
        /// fails at once when the server cannot be reached or refuses the login, where a pool
        /// would keep trying.
        public var connectionConfiguration: PostgresConnection.Configuration {
            switch endpoint {
            case .tcp(let host, let port):
                .init(host: host, port: port, username: user, password: password, database: database, tls: .disable)
            case .unixSocket(let path):
                .init(unixSocketPath: path, username: user, password: password, database: database)
            }
        }
    }

    let client: PostgresClient
    let logger: Logger
    let writeIsolation: Settings.WriteIsolation
    let observer: TransactionObserver
    /// Wake-ups between the processes on this database (`LISTEN`/`NOTIFY`).
    public let changeBus: PostgresChangeBus
    private let running: Task<Void, Never>
    private let migrated: Task<Void, any Error>

    /// Connects a pool (lazily: nothing is opened until the first operation) and starts migrating.
    /// `observer` hears of every transaction (for metrics).
    public init(settings: Settings, logger: Logger, observer: TransactionObserver = .none) {
        let client = PostgresClient(configuration: settings.clientConfiguration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.observer = observer
        writeIsolation = settings.writeIsolation
        changeBus = PostgresChangeBus(client: client, settings: settings, logger: logger)
        running = Task { await client.run() }
        migrated = Task { try await PostgresMigrations.migrate(client, logger: logger) }
    }

    deinit {
        running.cancel()
    }

    /// Waits for the schema to be migrated; throws what migrating threw (for example when the
    /// database cannot be reached). Every operation waits for this too.
    public func prepare() async throws {
        try await migrated.value
    }

    /// Closes the pool's connections. The store cannot be used afterwards.
    public func shutdown() async {
        _ = try? await migrated.value
        running.cancel()
        await running.value
    }

    /// Runs `body` as one read-write transaction, retried whole when PostgreSQL says a concurrent
    /// transaction got in the way. Writes that share a `turn` run one at a time, across processes.
    func write<T: Sendable>(turn: String? = nil, _ body: @Sendable (PostgresTransaction) async throws -> T)
        async throws -> T
    {
        try await prepare()
        return try await observer.observe(.write) {
            try await PostgresTransactionRunner.run(
                client: client, logger: logger, begin: .write(writeIsolation), turn: turn, body)
        }
    }

    /// Runs `body`, which must send exactly one statement, on a pooled connection without BEGIN
    /// and COMMIT: PostgreSQL runs a lone statement as a transaction of its own (at READ COMMITTED,
    /// on one snapshot), so one round trip does what BEGIN, the statement and COMMIT do in three.
    /// For the hot paths whose work is one statement: the token lookup, one claim, a key query.
    func single<T: Sendable>(
        _ kind: TransactionObserver.Kind, _ body: @Sendable (PostgresTransaction) async throws -> T
    ) async throws -> T {
        try await prepare()
        return try await observer.observe(kind) {
            try await client.withConnection { connection in
                try await body(PostgresTransaction(connection: connection, logger: logger))
            }
        }
    }

    /// Runs `body` as one read-only transaction on one snapshot.
    func read<T: Sendable>(_ body: @Sendable (PostgresTransaction) async throws -> T) async throws -> T {
        try await prepare()
        return try await observer.observe(.read) {
            try await PostgresTransactionRunner.run(client: client, logger: logger, begin: .read, body)
        }
    }
}

/// JSON columns are written and read the one way every engine shares.
extension PostgresStore: StoredJSON {}
