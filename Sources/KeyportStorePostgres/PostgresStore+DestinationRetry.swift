public import KeyportStore
import PostgresNIO

extension PostgresStore: DestinationRetryStore {
    public func destinationRetries() async throws -> [DestinationRetry] {
        try await read { db in
            try await db.rows(
                """
                SELECT destination, failure_ts, retry_last_ts, retry_interval, failures FROM destination_retry
                ORDER BY destination
                """
            ).map { row in
                let (destination, failureTS, retryLastTS, retryInterval, failures) = try row.decode(
                    (String, Int64, Int64, Int64, Int64).self)
                return DestinationRetry(
                    destination: destination, failureTS: failureTS, retryLastTS: retryLastTS,
                    retryInterval: retryInterval, failures: Int(failures))
            }
        }
    }

    public func setDestinationRetry(_ retry: DestinationRetry) async throws {
        try await write { db in
            try await db.execute(
                """
                INSERT INTO destination_retry (destination, failure_ts, retry_last_ts, retry_interval, failures)
                VALUES (\(retry.destination), \(retry.failureTS), \(retry.retryLastTS), \(retry.retryInterval),
                    \(Int64(retry.failures)))
                ON CONFLICT (destination) DO UPDATE SET failure_ts = excluded.failure_ts,
                    retry_last_ts = excluded.retry_last_ts, retry_interval = excluded.retry_interval,
                    failures = excluded.failures
                """)
        }
    }

    public func clearDestinationRetry(_ destination: String) async throws -> Bool {
        try await write { db in
            try await db.exists("DELETE FROM destination_retry WHERE destination = \(destination) RETURNING 1")
        }
    }
}
