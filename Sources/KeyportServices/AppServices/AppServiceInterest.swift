public import KeyportStore
public import MatrixModel

/// What the interest rules know of a room: its ID, its aliases (the canonical alias and the
/// alternative aliases of its current `m.room.canonical_alias`), and its joined members on this
/// server.
public struct AppServiceRoom: Sendable, Equatable {
    public var roomID: String
    public var aliases: [String]
    public var localJoinedMembers: [String]

    public init(roomID: String, aliases: [String], localJoinedMembers: [String]) {
        self.roomID = roomID
        self.aliases = aliases
        self.localJoinedMembers = localJoinedMembers
    }

    /// The aliases an `m.room.canonical_alias` content names: `alias`, then `alt_aliases`; strings only.
    public static func aliases(canonicalAlias content: JSONObject?) -> [String] {
        guard let content else { return [] }
        var aliases: [String] = []
        if let alias = content["alias"]?.stringValue { aliases.append(alias) }
        for alias in content["alt_aliases"]?.arrayValue ?? [] {
            if let alias = alias.stringValue { aliases.append(alias) }
        }
        return aliases
    }
}

/// Which room events, to-device messages and device-list changes interest an application service,
/// as Synapse's `ApplicationService.is_interested_in_event` and the MSC2409 / MSC3202 handlers
/// decide. Pure: the room's facts are read by the caller.
public enum AppServiceInterest {
    /// An event interests the service when its sender is the service's sender or in its users
    /// namespace, when it is a membership event about such a user, or when its room does.
    public static func isInterested(_ service: ApplicationService, in event: RoomEvent, room: AppServiceRoom) -> Bool {
        if service.isInterested(inUser: event.sender) { return true }
        if event.type == "m.room.member", let target = event.stateKey, service.isInterested(inUser: target) {
            return true
        }
        return isInterested(service, inRoom: room)
    }

    /// A room interests the service when its ID is in the rooms namespace, one of its aliases in
    /// the aliases namespace, or one of its joined members on this server is a user of the service
    /// (only local users: a service acts for users of this server alone).
    public static func isInterested(_ service: ApplicationService, inRoom room: AppServiceRoom) -> Bool {
        if service.matching(.rooms, room.roomID) != nil { return true }
        if room.aliases.contains(where: { service.matching(.aliases, $0) != nil }) { return true }
        return room.localJoinedMembers.contains { service.isInterested(inUser: $0) }
    }

    /// Whether a to-device message to `recipient` goes to the service (MSC2409): the recipient is
    /// its sender or a user of its namespace, as in Synapse's `_get_to_device_messages`.
    public static func receivesToDevice(_ service: ApplicationService, for recipient: String) -> Bool {
        service.isInterested(inUser: recipient)
    }

    /// Whether a to-device message the service acknowledged leaves the recipient's inbox: only for
    /// a user the service owns alone, whose devices the service speaks for. Any other user's
    /// devices still read their inbox through `/sync`.
    public static func deliveryConsumesMessage(_ service: ApplicationService, for recipient: String) -> Bool {
        service.ownsExclusively(user: recipient)
    }

    /// Whether the service hears of a user's device-list changes (MSC3202): the user is one of its
    /// users, or one of the rooms the user is joined to interests it (Synapse's
    /// `_is_appservice_interested_in_device_lists_of_user`).
    public static func followsDeviceLists(
        _ service: ApplicationService, of userID: String, joinedRooms: [AppServiceRoom]
    ) -> Bool {
        service.isInterested(inUser: userID) || joinedRooms.contains { isInterested(service, inRoom: $0) }
    }
}
