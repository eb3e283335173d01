import KeyportSQLite
public import KeyportStore

extension SQLiteStore: DestinationRetryStore {
    public func destinationRetries() async throws -> [DestinationRetry] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT destination, failure_ts, retry_last_ts, retry_interval, failures FROM destination_retry
                    ORDER BY destination
                    """
            ).map { row in
                DestinationRetry(
                    destination: row["destination"], failureTS: row["failure_ts"], retryLastTS: row["retry_last_ts"],
                    retryInterval: row["retry_interval"], failures: row["failures"])
            }
        }
    }

    public func setDestinationRetry(_ retry: DestinationRetry) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO destination_retry
                    (destination, failure_ts, retry_last_ts, retry_interval, failures) VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    retry.destination, retry.failureTS, retry.retryLastTS, retry.retryInterval, retry.failures,
                ])
        }
    }

    public func clearDestinationRetry(_ destination: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM destination_retry WHERE destination = ?", arguments: [destination])
            return db.changesCount > 0
        }
    }
}
