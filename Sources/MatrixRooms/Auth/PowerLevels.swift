import MatrixModel

/// Power levels as the auth rules read them: from the `m.room.power_levels` event in a state, with
/// the defaults Synapse applies when it or a key is missing, and (v12, MSC4289) the creators'
/// infinite power.
public struct PowerLevels: Sendable {
    /// Stands for the creators' infinite power level in v12: above any integer canonical JSON allows.
    public static let infinite = Int64.max

    let content: JSONObject?
    let version: RoomVersion
    let create: PDU?

    /// The levels in force in `state`.
    public init(state: [StateKey: PDU], version: RoomVersion) {
        self.content = state[.powerLevels]?.content
        self.version = version
        self.create = state[.create]
    }

    /// A user's level: infinite for v12 creators, else `users[user]`, else `users_default` (0). With
    /// no power-levels event the creator has 100 and everyone else 0.
    public func level(of user: String) -> Int64 {
        if version.creatorsHaveInfinitePower, let create, Creators.of(create).contains(user) {
            return Self.infinite
        }
        if let content {
            if let level = content["users"]?[user]?.intValue { return level }
            return content["users_default"]?.intValue ?? 0
        }
        if let create, Creators.of(create).contains(user) { return 100 }
        return 0
    }

    /// A named level (`invite`, `kick`, `ban`, `redact`) with its default.
    public func named(_ name: String, default defaultLevel: Int64) -> Int64 {
        content?[name]?.intValue ?? defaultLevel
    }

    public var invite: Int64 { named("invite", default: 0) }
    public var kick: Int64 { named("kick", default: 50) }
    public var ban: Int64 { named("ban", default: 50) }

    /// The level needed to send an event: `events[type]`, else `state_default` (50) for state events
    /// or `events_default` (0). Synapse applies the same defaults when there is no power-levels event.
    public func required(type: String, isState: Bool) -> Int64 {
        if let level = content?["events"]?[type]?.intValue { return level }
        return isState ? named("state_default", default: 50) : named("events_default", default: 0)
    }
}

/// Who created a room: before v11 `content.creator` of the create event; from v11 its `sender`;
/// from v12 also `content.additional_creators` (MSC4289).
public enum Creators {
    public static func of(_ create: PDU) -> Set<String> {
        let version = create.roomVersion
        if !version.creatorIsCreateSender {
            return create.content["creator"]?.stringValue.map { [$0] } ?? []
        }
        var creators: Set<String> = [create.sender]
        if version.creatorsHaveInfinitePower, let additional = create.content["additional_creators"]?.arrayValue {
            for case .string(let user) in additional { creators.insert(user) }
        }
        return creators
    }
}
