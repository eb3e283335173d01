import Logging
import PostgresNIO

/// One open transaction on one leased connection: the statements of one store method. Values
/// always travel as bind parameters (`PostgresQuery` interpolation binds, it never splices).
final class PostgresTransaction {
    let connection: PostgresConnection
    let logger: Logger
    /// Device-list changes appended by this transaction, given their positions just before commit.
    var pendingChanges: [PendingChange] = []

    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Runs a statement and returns its rows.
    @discardableResult
    func rows(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }

    /// Runs a statement that returns no rows we need.
    func execute(_ query: PostgresQuery) async throws {
        try await rows(query)
    }

    /// The first column of the first row, if any.
    func value<T: PostgresDecodable>(_ type: T.Type, _ query: PostgresQuery) async throws -> T? {
        try await rows(query).first?.decode(T.self)
    }

    /// The first column of every row.
    func values<T: PostgresDecodable>(_ type: T.Type, _ query: PostgresQuery) async throws -> [T] {
        try await rows(query).map { try $0.decode(T.self) }
    }

    /// Whether the statement returned a row.
    func exists(_ query: PostgresQuery) async throws -> Bool {
        try await !rows(query).isEmpty
    }
}

/// BEGIN … COMMIT around a store method, ROLLBACK on any error, and the retries.
enum PostgresTransactionRunner {
    /// Attempts of one write before the error is thrown to the caller.
    static let maxAttempts = 30

    /// SQLSTATEs after which the whole transaction is run again: a serialization failure or a
    /// deadlock (the database rolled back one side), or a unique violation, which in this engine
    /// only means a concurrent transaction inserted the row this one checked for and did not see
    /// (every method checks before it inserts; run again, it sees the row and takes the other path).
    static let retryable: Set<String> = ["40001", "40P01", "23505"]

    /// How a transaction starts: reads see one snapshot and write nothing.
    enum Begin {
        case read
        case write(PostgresStore.Settings.WriteIsolation)

        var statement: PostgresQuery {
            switch self {
            case .read: "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"
            case .write(let isolation): "BEGIN ISOLATION LEVEL \(unescaped: isolation.rawValue)"
            }
        }
    }

    /// `turn`, when given, makes the writers that share it run one at a time, queued by the
    /// database: a session advisory lock on it is taken before BEGIN and given back after the
    /// transaction ends. Taken before BEGIN, the transaction's snapshot comes after the previous
    /// writer committed, so at the stricter levels writers of one hot row (a user's backup
    /// version) wait their turn instead of failing and retrying until one of them gives up.
    static func run<T: Sendable>(
        client: PostgresClient, logger: Logger, begin: Begin, turn: String? = nil,
        _ body: @Sendable (PostgresTransaction) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await client.withConnection { connection in
                    guard let turn else {
                        return try await once(connection: connection, logger: logger, begin: begin, body)
                    }
                    return try await taking(turn, connection: connection, logger: logger) {
                        try await once(connection: connection, logger: logger, begin: begin, body)
                    }
                }
            } catch let error as PSQLError where attempt < maxAttempts && isRetryable(error) {
                logger.debug("retrying a transaction", metadata: ["sqlstate": "\(sqlState(error) ?? "-")"])
                // A random pause, growing with each attempt, so the transactions that collided do
                // not collide again.
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(2 << min(attempt, 7)))))
                attempt += 1
            }
        }
    }

    private static func once<T: Sendable>(
        connection: PostgresConnection, logger: Logger, begin: Begin,
        _ body: @Sendable (PostgresTransaction) async throws -> T
    ) async throws -> T {
        let transaction = PostgresTransaction(connection: connection, logger: logger)
        try await transaction.execute(begin.statement)
        do {
            let value = try await body(transaction)
            // Positions are taken last, so the counter rows stay locked for as short a time as can be.
            try await transaction.flushChanges()
            try await transaction.execute("COMMIT")
            return value
        } catch {
            // A failed ROLLBACK means the connection is gone; the pool drops closed connections.
            try? await transaction.execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body` holding the session advisory lock named by `turn`. Were the unlock to fail, the
    /// connection is broken and the lock went with its session.
    private static func taking<T: Sendable>(
        _ turn: String, connection: PostgresConnection, logger: Logger, _ body: () async throws -> T
    ) async throws -> T {
        let session = PostgresTransaction(connection: connection, logger: logger)
        try await session.execute("SELECT pg_advisory_lock(hashtextextended(\(turn), 0))")
        do {
            let value = try await body()
            try await session.execute("SELECT pg_advisory_unlock(hashtextextended(\(turn), 0))")
            return value
        } catch {
            _ = try? await session.execute("SELECT pg_advisory_unlock(hashtextextended(\(turn), 0))")
            throw error
        }
    }

    static func sqlState(_ error: PSQLError) -> String? {
        error.serverInfo?[.sqlState]
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        sqlState(error).map(retryable.contains) ?? false
    }
}
