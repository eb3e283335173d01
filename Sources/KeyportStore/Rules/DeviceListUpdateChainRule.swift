import MatrixModel

/// How queued `m.device_list_update` EDUs chain per destination: each names, in `prev_id`, the
/// `stream_id` of the previous update for the same user sent to the same destination (none for the
/// first), so the receiver can tell when it missed one
/// (https://spec.matrix.org/latest/server-server-api/#device-management). One rule for every engine:
/// the engine reads the previous ID and remembers the new one inside its transaction.
public enum DeviceListUpdateChainRule {
    /// The user and stream ID an EDU adds to its destination's chain, or nil for an EDU that is not a
    /// device-list update (it is queued as it is).
    public static func link(of edu: QueuedEDU) -> (userID: String, streamID: Int64)? {
        guard edu.type == "m.device_list_update", let userID = edu.content["user_id"]?.stringValue,
            let streamID = edu.content["stream_id"]?.intValue
        else { return nil }
        return (userID, streamID)
    }

    /// The EDU with `prev_id` naming `previous`, the last stream ID sent for the user to the
    /// destination (nil when none was).
    public static func chained(_ edu: QueuedEDU, previous: Int64?) -> QueuedEDU {
        var edu = edu
        edu.content["prev_id"] = .array(previous.map { [.int($0)] } ?? [])
        return edu
    }
}
