public import MatrixModel

/// A persistent data unit: a room event as servers exchange it, checked for format.
///
/// `object` is the event exactly as received: hashes and signatures cover it, so it is never
/// re-serialised from the parsed fields. The fields below are read from it once, at parse time.
/// Equality and hashing go by event ID.
public struct PDU: Sendable, Hashable, CustomStringConvertible {
    public let roomVersion: RoomVersion
    /// The event as received (without `event_id`: room versions 4 and later compute it).
    public let object: JSONObject
    /// `$` + the URL-safe reference hash, or the ID a test fixture assigned.
    public let eventID: String
    /// For a v12 create event, the room ID its hash makes (`!` + the event ID's hash).
    public let roomID: String
    public let type: String
    public let stateKey: String?
    public let sender: String
    public let content: JSONObject
    public let prevEvents: [String]
    public let authEvents: [String]
    public let depth: Int64
    public let originServerTS: Int64
    /// The target of a redaction: top-level `redacts` before v11, `content.redacts` from v11.
    public let redacts: String?

    init(
        roomVersion: RoomVersion, object: JSONObject, eventID: String, roomID: String, type: String,
        stateKey: String?, sender: String, content: JSONObject, prevEvents: [String], authEvents: [String],
        depth: Int64, originServerTS: Int64, redacts: String?
    ) {
        self.roomVersion = roomVersion
        self.object = object
        self.eventID = eventID
        self.roomID = roomID
        self.type = type
        self.stateKey = stateKey
        self.sender = sender
        self.content = content
        self.prevEvents = prevEvents
        self.authEvents = authEvents
        self.depth = depth
        self.originServerTS = originServerTS
        self.redacts = redacts
    }

    public static func == (lhs: PDU, rhs: PDU) -> Bool { lhs.eventID == rhs.eventID }
    public func hash(into hasher: inout Hasher) { hasher.combine(eventID) }

    public var description: String { "\(eventID) \(type)\(stateKey.map { " [\($0)]" } ?? "") by \(sender)" }

    /// Whether the event is a state event (it has a `state_key`, even an empty one).
    public var isState: Bool { stateKey != nil }

    /// The state-map key of a state event.
    public var stateMapKey: StateKey? { stateKey.map { StateKey(type, $0) } }

    /// `content.membership` of an `m.room.member` event.
    public var membership: String? {
        type == EventType.member ? content["membership"]?.stringValue : nil
    }

    /// The server part of `sender`.
    public var senderServer: String? { UserID(sender)?.serverName.rawValue }
}
