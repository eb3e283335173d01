/// How an upload of backed-up room keys is stored, for every engine: the engine reads the user's
/// versions and the stored keys inside its transaction, asks here, and writes what the answers say
/// (https://spec.matrix.org/latest/client-server-api/#server-side-key-backups).
public enum KeyBackupRule {
    /// Whether an uploaded key replaces the stored key of the same session. In the spec's order,
    /// each criterion deciding only when the ones before it are equal: a verified key beats an
    /// unverified one, then the lower `first_message_index` wins, then the lower
    /// `forwarded_count`. When all three are equal the stored key stays (whatever the session
    /// data), so uploading the same key again changes nothing.
    ///
    /// Synapse (`_should_replace_room_key`) differs: it lets a lower `first_message_index`
    /// replace a verified key with an unverified one, and a lower `forwarded_count` win over a
    /// lower `first_message_index`. The spec is followed here.
    public static func replaces(_ stored: KeyBackupData, with candidate: KeyBackupData) -> Bool {
        if candidate.isVerified != stored.isVerified { return candidate.isVerified }
        if candidate.firstMessageIndex != stored.firstMessageIndex {
            return candidate.firstMessageIndex < stored.firstMessageIndex
        }
        return candidate.forwardedCount < stored.forwardedCount
    }

    /// Whether an upload may go to `version`: nil when it is the current version (the highest not
    /// deleted, `current`), otherwise the refusal. A version that exists but is not current is
    /// `notCurrent`, so the client learns which one is; one never created or deleted is not found,
    /// as Synapse answers.
    public static func refusal(version: Int64, versionIsLive: Bool, current: Int64?) -> KeyBackupUploadOutcome? {
        guard let current, versionIsLive else { return .versionNotFound }
        return version == current ? nil : .notCurrent(current: current)
    }

    /// The writes an upload makes.
    public struct Plan: Sendable, Equatable {
        /// Sessions the version does not hold yet.
        public var inserts: [KeyBackupSession] = []
        /// Sessions whose stored key the uploaded one replaces.
        public var updates: [KeyBackupSession] = []

        /// Whether the version's keys change (and so its etag moves).
        public var changesKeys: Bool { !inserts.isEmpty || !updates.isEmpty }

        /// Whether the inserts keep the user within `maxSessions`, given the sessions already
        /// stored in all of the user's versions not deleted. Replacing keys is always allowed.
        public func fits(storedSessions: Int, maxSessions: Int) -> Bool {
            inserts.isEmpty || storedSessions + inserts.count <= maxSessions
        }
    }

    /// The writes for `sessions`, given the key stored for each (nil when none), in the same order.
    public static func plan(_ sessions: [KeyBackupSession], stored: [KeyBackupData?]) -> Plan {
        precondition(sessions.count == stored.count, "one stored key (or nil) per uploaded session")
        var plan = Plan()
        for (session, current) in zip(sessions, stored) {
            guard let current else {
                plan.inserts.append(session)
                continue
            }
            if replaces(current, with: session.data) { plan.updates.append(session) }
        }
        return plan
    }
}
