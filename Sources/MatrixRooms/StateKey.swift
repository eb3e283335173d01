/// The key of a room state map: an event type and a state key.
public struct StateKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let type: String
    public let stateKey: String

    public init(_ type: String, _ stateKey: String) {
        self.type = type
        self.stateKey = stateKey
    }

    public static func < (lhs: StateKey, rhs: StateKey) -> Bool {
        (lhs.type, lhs.stateKey) < (rhs.type, rhs.stateKey)
    }

    public var description: String { "(\(type), \(stateKey))" }

    public static let create = StateKey(EventType.create, "")
    public static let powerLevels = StateKey(EventType.powerLevels, "")
    public static let joinRules = StateKey(EventType.joinRules, "")

    public static func member(_ userID: String) -> StateKey { StateKey(EventType.member, userID) }
}

/// The event types the room rules give meaning to.
public enum EventType {
    public static let create = "m.room.create"
    public static let member = "m.room.member"
    public static let powerLevels = "m.room.power_levels"
    public static let joinRules = "m.room.join_rules"
    public static let thirdPartyInvite = "m.room.third_party_invite"
    public static let redaction = "m.room.redaction"
    public static let historyVisibility = "m.room.history_visibility"
}

/// A room state: one event ID per state key.
public typealias StateMap = [StateKey: String]
