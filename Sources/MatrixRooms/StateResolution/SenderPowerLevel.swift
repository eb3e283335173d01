import MatrixModel

/// The power level of an event's sender "when looking at its auth events", which the reverse
/// topological power ordering ranks events by.
///
/// This is not the auth rules' power level: it looks only at the event's own auth events (never at
/// a resolved state), and when they hold no power levels it falls back the way Synapse does, so the
/// ordering, and hence the resolution, matches Synapse's.
public enum SenderPowerLevel {
    /// The level of v12 creators (MSC4289): above any level an integer-only `m.room.power_levels`
    /// can state (canonical JSON integers stop at 2^53 − 1). Synapse uses the same number.
    public static let creator: Int64 = 1 << 53

    /// The sender's level given `authEvents`, the event's auth events that could be found (with
    /// v12's implicit create event).
    ///
    /// - v12 creators (the create event's sender and `additional_creators`) rank above everyone.
    /// - With a power levels event: `users[sender]`, else `users_default`, else 0.
    /// - Without one: 100 for the room's creator (v11+: the create event's sender; v10:
    ///   `content.creator`), else 0, the levels a room has before its first power levels event.
    public static func of(_ event: PDU, authEvents: some Sequence<PDU>) -> Int64 {
        var powerLevels: PDU?
        var create: PDU?
        for authEvent in authEvents {
            // The last one wins, as in Synapse; a valid event lists each at most once.
            if authEvent.isPowerLevelsEvent { powerLevels = authEvent }
            if authEvent.isCreateEvent { create = authEvent }
        }
        if let create, event.roomVersion.creatorsHaveInfinitePower, isCreator(event.sender, of: create) {
            return creator
        }
        guard let powerLevels else {
            guard let create else { return 0 }
            let roomCreator =
                event.roomVersion.creatorIsCreateSender ? create.sender : create.content["creator"]?.stringValue
            return roomCreator == event.sender ? 100 : 0
        }
        if let level = integer(powerLevels.content["users"]?[event.sender]) { return level }
        return integer(powerLevels.content["users_default"]) ?? 0
    }

    /// MSC4289's creators: the create event's sender and its `additional_creators`.
    static func isCreator(_ userID: String, of create: PDU) -> Bool {
        if create.sender == userID { return true }
        guard let additional = create.content["additional_creators"]?.arrayValue else { return false }
        return additional.contains { $0.stringValue == userID }
    }

    /// Rooms v10+ only admit integer levels; a string of digits (which earlier versions allowed,
    /// and Synapse's `int()` reads) is read too rather than treated as absent.
    private static func integer(_ value: JSONValue?) -> Int64? {
        switch value {
        case .int(let level)?: return level
        case .string(let text)?: return Int64(text)
        default: return nil
        }
    }
}
