/// A named right to do one job alone (send to one destination, run one background task), held by
/// one process until `expiresAt` unless renewed. `fence` grows every time the lease changes hands,
/// so work done under an old holding can be told apart from work under the current one.
public struct Lease: Sendable, Equatable {
    public var name: String
    public var holder: String
    public var fence: Int64
    /// Milliseconds since the epoch, by the holder's clock.
    public var expiresAt: Int64

    public init(name: String, holder: String, fence: Int64, expiresAt: Int64) {
        self.name = name
        self.holder = holder
        self.fence = fence
        self.expiresAt = expiresAt
    }
}

/// Leases in the shared database: with several processes on one database, each destination has
/// one sender and each singleton task one runner; a process that dies loses its leases when they
/// expire. The rules of taking and keeping a lease are `LeaseRule`'s; engines only store.
public protocol LeaseStore: Sendable {
    /// Takes the lease for `holder` until `now + duration` when it is free, expired or already
    /// `holder`'s; nil while another holder's lease runs.
    func acquireLease(_ name: String, holder: String, now: Int64, duration: Int64) async throws -> Lease?
    /// Extends a lease still held with the same fence; nil when it was lost (taken by another
    /// holder after it expired).
    func renewLease(_ lease: Lease, now: Int64, duration: Int64) async throws -> Lease?
    /// Gives the lease up at once (nothing happens when it was lost already).
    func releaseLease(_ lease: Lease) async throws
    /// Whether `lease` is still held with its fence (whatever its expiry): work under it may be
    /// recorded. Engines check this in the same transaction as the recording (see
    /// `FederationStore.deleteQueuedEDUs(ids:under:)`).
    func holdsLease(_ lease: Lease) async throws -> Bool
}
