import KeyportSQLite
public import KeyportStore

extension SQLiteStore: LeaseStore {
    public func acquireLease(_ name: String, holder: String, now: Int64, duration: Int64) async throws -> Lease? {
        try await pool.write { db in
            let taken = LeaseRule.acquire(
                current: try Self.lease(db, named: name), name: name, holder: holder, now: now, duration: duration)
            if let taken { try Self.store(db, taken) }
            return taken
        }
    }

    public func renewLease(_ lease: Lease, now: Int64, duration: Int64) async throws -> Lease? {
        try await pool.write { db in
            let renewed = LeaseRule.renew(
                current: try Self.lease(db, named: lease.name), lease: lease, now: now, duration: duration)
            if let renewed { try Self.store(db, renewed) }
            return renewed
        }
    }

    public func releaseLease(_ lease: Lease) async throws {
        try await pool.write { db in
            guard LeaseRule.isHeld(current: try Self.lease(db, named: lease.name), lease: lease) else { return }
            try Self.store(db, LeaseRule.released(lease))
        }
    }

    public func holdsLease(_ lease: Lease) async throws -> Bool {
        try await pool.read { db in LeaseRule.isHeld(current: try Self.lease(db, named: lease.name), lease: lease) }
    }

    static func lease(_ db: Database, named name: String) throws -> Lease? {
        try Row.fetchOne(
            db, sql: "SELECT name, holder, fence, expires_at FROM leases WHERE name = ?", arguments: [name]
        ).map { row in
            Lease(name: row["name"], holder: row["holder"], fence: row["fence"], expiresAt: row["expires_at"])
        }
    }

    private static func store(_ db: Database, _ lease: Lease) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO leases (name, holder, fence, expires_at) VALUES (?, ?, ?, ?)",
            arguments: [lease.name, lease.holder, lease.fence, lease.expiresAt])
    }
}
