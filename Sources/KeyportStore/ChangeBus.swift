/// What one process tells the others after a write committed: whose `/sync` may have news, and
/// whether something was queued for other servers.
public struct ChangeAnnouncement: Sendable, Equatable, Codable {
    /// Users whose waiting `/sync` requests should look again.
    public var users: [String]
    /// True when EDUs were queued or memberships changed: every federation sender looks again.
    public var outbound: Bool

    public init(users: [String], outbound: Bool) {
        self.users = users
        self.outbound = outbound
    }
}

/// What a subscriber hears.
public enum ChangeBusEvent: Sendable, Equatable {
    /// Another process committed a change.
    case change(ChangeAnnouncement)
    /// The subscription was (re)established: announcements may have been missed meanwhile, so
    /// every waiter looks again.
    case resumed
}

/// Carries wake-ups between the processes that share one database. An announcement is published
/// after its transaction committed; it is a hint, never the data: a woken reader reads the store,
/// and waiters also look again now and then, so a lost announcement only delays, it never loses.
public protocol ChangeBus: Sendable {
    /// Tells every other process. Returns at once; announcements are sent in batches.
    func publish(_ announcement: ChangeAnnouncement) async
    /// Delivers the other processes' announcements (never this process's own) until the calling
    /// task is cancelled, reconnecting after failures; `.resumed` after each (re)connection.
    func subscribe(_ deliver: @escaping @Sendable (ChangeBusEvent) async -> Void) async
}

/// The bus of an engine that only one process can open (SQLite): there is nobody to tell.
public struct SingleProcessChangeBus: ChangeBus {
    public init() {}

    public func publish(_ announcement: ChangeAnnouncement) async {}

    public func subscribe(_ deliver: @escaping @Sendable (ChangeBusEvent) async -> Void) async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}
