public import MatrixModel
public import MatrixSigning

/// What a server fills in to make a new event of its own: the rest of the PDU (auth events, hashes,
/// signature, event ID) follows from it and the room's state.
public struct EventDraft: Sendable {
    public var type: String
    public var stateKey: String?
    public var sender: String
    public var content: JSONObject
    /// The room, or nil for a v12 create event (whose hash makes the room ID).
    public var roomID: String?
    public var originServerTS: Int64
    public var prevEvents: [String]
    public var depth: Int64

    public init(
        type: String, stateKey: String?, sender: String, content: JSONObject, roomID: String?, originServerTS: Int64,
        prevEvents: [String], depth: Int64
    ) {
        self.type = type
        self.stateKey = stateKey
        self.sender = sender
        self.content = content
        self.roomID = roomID
        self.originServerTS = originServerTS
        self.prevEvents = prevEvents
        self.depth = depth
    }
}

/// Builds PDUs of this server's own: auth events chosen from the state before the event
/// (https://spec.matrix.org/latest/server-server-api/#auth-events-selection), content hash, the
/// server's signature, and the event ID the reference hash makes.
public enum PDUBuilder {
    /// The event without hashes or signatures, with its auth events chosen from `state`: what a
    /// resident server offers as a `make_join` / `make_leave` template.
    public static func template(
        _ draft: EventDraft, version: RoomVersion, state: StateMap, extra: JSONObject = [:]
    ) throws(PDUFormatError) -> JSONObject {
        var object: JSONObject = [
            "type": .string(draft.type), "sender": .string(draft.sender), "content": .object(draft.content),
            "origin_server_ts": .int(draft.originServerTS), "depth": .int(draft.depth),
            "prev_events": .array(draft.prevEvents.map { .string($0) }), "auth_events": [], "hashes": [:],
            "signatures": [:],
        ]
        if let stateKey = draft.stateKey { object["state_key"] = .string(stateKey) }
        if let roomID = draft.roomID { object["room_id"] = .string(roomID) }
        for (name, value) in extra { object[name] = value }
        // The selection reads the parsed event, so parse a draft once to learn its keys.
        let unsigned = try PDU(parsing: object, roomVersion: version, assignedEventID: "$draft")
        object["auth_events"] = .array(AuthEventSelection.select(for: unsigned, from: state).map { .string($0) })
        object["hashes"] = nil
        object["signatures"] = nil
        return object
    }

    /// The finished PDU. `state` is the state before the event (event IDs by key); `extra` adds
    /// top-level fields (`redacts` before v11, for instance).
    public static func build(
        _ draft: EventDraft, version: RoomVersion, state: StateMap, serverName: String, key: SigningKey,
        extra: JSONObject = [:]
    ) throws(PDUFormatError) -> PDU {
        try sign(
            template(draft, version: version, state: state, extra: extra), version: version,
            serverName: serverName, key: key)
    }

    /// Hashes and signs an event of this server's (a template filled in), and parses it.
    public static func sign(
        _ event: JSONObject, version: RoomVersion, serverName: String, key: SigningKey
    ) throws(PDUFormatError) -> PDU {
        var object = event
        object["signatures"] = object["signatures"] ?? [:]
        do {
            object = try PDUSigning.hashAndSign(object, version: version, serverName: serverName, key: key)
        } catch {
            throw PDUFormatError("the event has no canonical JSON form")
        }
        return try PDU(parsing: object, roomVersion: version)
    }
}
