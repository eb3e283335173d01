public import KeyportStore
import PostgresNIO

extension PostgresStore: LeaseStore {
    public func acquireLease(_ name: String, holder: String, now: Int64, duration: Int64) async throws -> Lease? {
        try await write { db in
            let current = try await Self.lease(db, named: name)
            let taken = LeaseRule.acquire(current: current, name: name, holder: holder, now: now, duration: duration)
            if let taken { try await Self.store(db, taken, replacing: current != nil) }
            return taken
        }
    }

    public func renewLease(_ lease: Lease, now: Int64, duration: Int64) async throws -> Lease? {
        try await write { db in
            let renewed = LeaseRule.renew(
                current: try await Self.lease(db, named: lease.name), lease: lease, now: now, duration: duration)
            if let renewed { try await Self.store(db, renewed, replacing: true) }
            return renewed
        }
    }

    public func releaseLease(_ lease: Lease) async throws {
        try await write { db in
            guard LeaseRule.isHeld(current: try await Self.lease(db, named: lease.name), lease: lease) else { return }
            try await Self.store(db, LeaseRule.released(lease), replacing: true)
        }
    }

    public func holdsLease(_ lease: Lease) async throws -> Bool {
        try await read { db in
            LeaseRule.isHeld(current: try await Self.lease(db, named: lease.name, locked: false), lease: lease)
        }
    }

    /// The lease row, locked until the transaction ends (`FOR UPDATE`) unless `locked` is false (in
    /// a read-only snapshot), so takers queue up and each sees the one before it. A row that does
    /// not exist yet cannot be locked: two first takers both insert, and the second's unique
    /// violation runs it again, when it sees the first's row.
    static func lease(_ db: PostgresTransaction, named name: String, locked: Bool = true) async throws -> Lease? {
        let query: PostgresQuery =
            locked
            ? "SELECT name, holder, fence, expires_at FROM leases WHERE name = \(name) FOR UPDATE"
            : "SELECT name, holder, fence, expires_at FROM leases WHERE name = \(name)"
        return try await db.rows(query).first
            .map { row in
                let (name, holder, fence, expiresAt) = try row.decode((String, String, Int64, Int64).self)
                return Lease(name: name, holder: holder, fence: fence, expiresAt: expiresAt)
            }
    }

    /// Writes the lease: an update of the locked row, or an insert that fails (and is retried) when
    /// a concurrent first taker inserted the row meanwhile.
    private static func store(_ db: PostgresTransaction, _ lease: Lease, replacing: Bool) async throws {
        if replacing {
            try await db.execute(
                """
                UPDATE leases SET holder = \(lease.holder), fence = \(lease.fence), expires_at = \(lease.expiresAt)
                WHERE name = \(lease.name)
                """)
        } else {
            try await db.execute(
                """
                INSERT INTO leases (name, holder, fence, expires_at)
                VALUES (\(lease.name), \(lease.holder), \(lease.fence), \(lease.expiresAt))
                """)
        }
    }
}
