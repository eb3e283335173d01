import Foundation

/// Wakes waiting `/sync` requests when something relevant to their user is written.
///
/// Each user has a version that every notification bumps. A sync reads the version, builds its
/// answer, and if it is empty waits for the version to move — so a write between the read and the
/// wait is never missed. Within one process the services call ``notify(_:)`` after each commit;
/// with several processes sharing PostgreSQL, the change bus's listener calls it, and
/// ``notifyEveryone()`` when announcements may have been missed.
public actor SyncNotifier {
    private var versions: [String: UInt64] = [:]
    /// Added to every user's version: bumped to wake everyone at once.
    private var epoch: UInt64 = 0
    private var waiters: [String: [UUID: CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    /// The user's current version.
    public func version(of userID: String) -> UInt64 { versions[userID, default: 0] &+ epoch }

    /// Wakes every waiting request, for when changes may have gone unannounced.
    public func notifyEveryone() {
        epoch &+= 1
        let waiting = waiters
        waiters = [:]
        for continuations in waiting.values {
            for continuation in continuations.values { continuation.resume() }
        }
    }

    /// Bumps the version of each user and wakes their waiting requests.
    public func notify(_ userIDs: some Sequence<String>) {
        for userID in Set(userIDs) {
            versions[userID, default: 0] &+= 1
            if let waiting = waiters.removeValue(forKey: userID) {
                for continuation in waiting.values { continuation.resume() }
            }
        }
    }

    /// Returns when the user's version differs from `seen`, or after `timeout`.
    public func wait(for userID: String, after seen: UInt64, timeout: Duration) async {
        guard version(of: userID) == seen, timeout > .zero else { return }
        let id = UUID()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiters[userID, default: [:]][id] = continuation
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(userID: userID, id: id)
            }
        }
    }

    private func expire(userID: String, id: UUID) {
        if let continuation = waiters[userID]?.removeValue(forKey: id) {
            if waiters[userID]?.isEmpty == true { waiters[userID] = nil }
            continuation.resume()
        }
    }
}
