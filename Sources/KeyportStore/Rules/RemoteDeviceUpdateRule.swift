/// Whether an `m.device_list_update` from another server can be applied to the cached list, or the
/// list has a gap and must be fetched again (https://spec.matrix.org/latest/server-server-api/#device-management).
///
/// One rule for every engine: the engine reads the facts inside its transaction, asks here, and
/// writes what the outcome says.
public enum RemoteDeviceUpdateRule {
    public enum Outcome: Sendable, Equatable {
        /// The update's stream ID was applied before and the list is not stale: nothing to write.
        case alreadyApplied
        /// Every `prev_id` is known: apply the update.
        case apply
        /// A `prev_id` is unknown, there is none, or the list is already stale: mark it stale so it
        /// is fetched whole.
        case markStale
    }

    /// - Parameters:
    ///   - listIsStale: the cached list's stale flag, nil when there is no cached list.
    ///   - prevIDsAllSeen: whether every `prev_id` of the update names a stream ID seen for this user.
    ///   - hasPrevIDs: whether the update names any `prev_id`.
    ///   - streamIDSeen: whether the update's own stream ID was seen before.
    public static func decide(listIsStale: Bool?, hasPrevIDs: Bool, prevIDsAllSeen: Bool, streamIDSeen: Bool) -> Outcome
    {
        if streamIDSeen, listIsStale == false { return .alreadyApplied }
        guard listIsStale == false, hasPrevIDs, prevIDsAllSeen else { return .markStale }
        return .apply
    }
}
