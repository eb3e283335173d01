/// How leases change hands, for every engine: an engine reads the current row (locked), asks
/// this rule, and writes what it answers.
public enum LeaseRule {
    /// The lease after `holder` asks for it, or nil when another holder's lease still runs. A
    /// holder renewing its running lease keeps the fence; any other taking (a new name, an
    /// expired lease, a lease given up) moves the fence on.
    public static func acquire(
        current: Lease?, name: String, holder: String, now: Int64, duration: Int64
    ) -> Lease? {
        guard let current else { return Lease(name: name, holder: holder, fence: 1, expiresAt: now + duration) }
        if current.holder == holder, current.expiresAt > now {
            return Lease(name: name, holder: holder, fence: current.fence, expiresAt: now + duration)
        }
        guard current.expiresAt <= now else { return nil }
        return Lease(name: name, holder: holder, fence: current.fence + 1, expiresAt: now + duration)
    }

    /// The lease renewed, or nil when it is no longer the one held (another holder took it, or
    /// it was given up). An expired lease nobody took yet can be renewed: nobody else worked
    /// under it.
    public static func renew(current: Lease?, lease: Lease, now: Int64, duration: Int64) -> Lease? {
        guard let current, isHeld(current: current, lease: lease) else { return nil }
        return Lease(name: lease.name, holder: lease.holder, fence: lease.fence, expiresAt: now + duration)
    }

    /// Whether `lease` is the current holding of its name.
    public static func isHeld(current: Lease?, lease: Lease) -> Bool {
        guard let current else { return false }
        return current.holder == lease.holder && current.fence == lease.fence
    }

    /// What a released lease becomes: expired at once, with the fence kept so the next taker
    /// moves it on.
    public static func released(_ lease: Lease) -> Lease {
        Lease(name: lease.name, holder: lease.holder, fence: lease.fence, expiresAt: 0)
    }
}
