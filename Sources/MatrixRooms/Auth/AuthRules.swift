import MatrixModel

/// The authorisation rules of rooms v10–v12 (https://spec.matrix.org/latest/rooms/v12/#authorisation-rules
/// and v10's, v11's), as Synapse applies them where the spec leaves room (defaults of missing
/// levels, the order of membership checks).
///
/// ``check(_:state:)`` holds the rules that read room state (4–11 and the create event's own rule 1).
/// The rules about the event's `auth_events` list itself (2, 3) and the checks on receipt live in
/// ``PDUChecks``; state resolution calls ``check(_:state:)`` directly, as the spec's iterative
/// auth checks do.
public enum AuthRules {
    /// Judges `event` against `state`: its auth events, the state before it, or the current state.
    /// `state` must hold the create event, v12 included.
    public static func check(_ event: PDU, state: [StateKey: PDU]) -> AuthDecision {
        if event.type == EventType.create { return checkCreate(event) }
        guard let create = state[.create] else { return .rejected("no m.room.create event in the auth state") }
        if event.roomVersion.roomIDIsCreateEventHash,
            event.roomID != EventHashes.roomID(forCreateEventID: create.eventID)
        {
            return .rejected("the room ID is not the create event's ID")
        }
        // Rule 4: a room closed to federation refuses other servers' events.
        if create.content["m.federate"] == .bool(false), let senderServer = event.senderServer,
            senderServer != create.senderServer
        {
            return .rejected("the room is not federated and the sender is on another server")
        }
        let levels = PowerLevels(state: state, version: event.roomVersion)
        if event.type == EventType.member { return MembershipRules.check(event, state: state, levels: levels) }
        // Rule 6.
        guard state[.member(event.sender)]?.membership == "join" else {
            return .rejected("\(event.sender) is not joined to the room")
        }
        let senderLevel = levels.level(of: event.sender)
        // Rule 7.
        if event.type == EventType.thirdPartyInvite {
            return senderLevel >= levels.invite
                ? .allowed : .rejected("\(event.sender) may not invite (level \(senderLevel) < \(levels.invite))")
        }
        // Rule 8.
        let required = levels.required(type: event.type, isState: event.isState)
        if senderLevel < required {
            return .rejected("sending \(event.type) needs level \(required); \(event.sender) has \(senderLevel)")
        }
        // Rule 9.
        if let stateKey = event.stateKey, stateKey.hasPrefix("@"), stateKey != event.sender {
            return .rejected("a state key starting with @ must be the sender's user ID")
        }
        // Rule 10.
        if event.type == EventType.powerLevels {
            return PowerLevelsRules.check(
                event, previous: state[.powerLevels], create: create, senderLevel: senderLevel)
        }
        // Rule 11. Redactions need no more here: whether the redaction applies is decided when it
        // is handled, from the redact level and the target's sender.
        return .allowed
    }

    /// Rule 1: the create event stands alone.
    static func checkCreate(_ event: PDU) -> AuthDecision {
        let version = event.roomVersion
        if !event.prevEvents.isEmpty { return .rejected("the create event has prev_events") }
        if version.roomIDIsCreateEventHash {
            if event.object["room_id"] != nil { return .rejected("a v12 create event has no room_id") }
        } else {
            guard let roomServer = Self.serverPart(of: event.roomID), roomServer == event.senderServer else {
                return .rejected("the room ID's server is not the sender's")
            }
        }
        if let roomVersion = event.content["room_version"] {
            guard let identifier = roomVersion.stringValue, RoomVersion.isRecognised(identifier) else {
                return .rejected("content.room_version is not a recognised room version")
            }
        }
        if !version.creatorIsCreateSender, event.content["creator"] == nil {
            return .rejected("the create event has no content.creator")
        }
        if version.creatorsHaveInfinitePower, let additional = event.content["additional_creators"] {
            guard let users = additional.arrayValue,
                users.allSatisfy({ $0.stringValue.flatMap(UserID.init) != nil })
            else { return .rejected("content.additional_creators is not an array of user IDs") }
        }
        return .allowed
    }

    /// The part of an ID after its first colon: the server of a room ID or user ID.
    static func serverPart(of id: String) -> String? {
        guard let colon = id.firstIndex(of: ":") else { return nil }
        return String(id[id.index(after: colon)...])
    }
}

/// The verdict of the auth rules.
public enum AuthDecision: Sendable, Equatable, CustomStringConvertible {
    case allowed
    case rejected(String)

    public var isAllowed: Bool { self == .allowed }

    public var description: String {
        switch self {
        case .allowed: "allowed"
        case .rejected(let reason): "rejected: \(reason)"
        }
    }
}
