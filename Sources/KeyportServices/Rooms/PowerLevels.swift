public import MatrixModel

/// The parts of `m.room.power_levels` local rooms enforce.
public struct PowerLevels: Sendable {
    let content: JSONObject
    /// The users with infinite power: a v12 room's creators (MSC4289).
    let creators: Set<String>

    public init(content: JSONObject?, creators: Set<String> = []) {
        self.content = content ?? [:]
        self.creators = creators
    }

    private func level(_ value: JSONValue?, default fallback: Int64) -> Int64 {
        switch value {
        case .int(let level): level
        case .string(let text): Int64(text) ?? fallback
        default: fallback
        }
    }

    /// The user's level.
    public func level(of userID: String) -> Int64 {
        if creators.contains(userID) { return .max }
        return level(content["users"]?[userID], default: level(content["users_default"], default: 0))
    }

    /// The level needed to send an event of `type` (state or not).
    public func required(forEvent type: String, isState: Bool) -> Int64 {
        let fallback =
            isState ? level(content["state_default"], default: 50) : level(content["events_default"], default: 0)
        return level(content["events"]?[type], default: fallback)
    }

    /// The level needed to invite.
    public var invite: Int64 { level(content["invite"], default: 0) }

    /// The default content for a new room created by `creator`. `listCreators` is false in v12
    /// rooms, whose creators hold infinite power and may not be listed.
    public static func defaultContent(creator: String, extraAdmins: [String], listCreators: Bool = true) -> JSONObject {
        var users: JSONObject = [:]
        if listCreators {
            users[creator] = 100
            for admin in extraAdmins { users[admin] = 100 }
        }
        return [
            "users": .object(users), "users_default": 0, "events_default": 0, "state_default": 50, "ban": 50,
            "kick": 50,
            "redact": 50, "invite": 0,
            "events": [
                "m.room.name": 50, "m.room.power_levels": 100, "m.room.history_visibility": 100,
                "m.room.canonical_alias": 50, "m.room.avatar": 50, "m.room.tombstone": 100, "m.room.server_acl": 100,
                "m.room.encryption": 100,
            ],
            "notifications": ["room": 50],
        ]
    }
}
