public import MatrixModel

/// Parsing and format checks: what a PDU of rooms v10–v12 must look like before any rule sees it
/// (https://spec.matrix.org/latest/server-server-api/#pdus, with Synapse's limits where the spec
/// leaves a number open).
extension PDU {
    /// The largest PDU, as canonical JSON including signatures.
    public static let maxBytes = 65_536
    /// The longest `type`, `state_key`, `sender`, `room_id` and event ID, in bytes.
    public static let maxFieldBytes = 255
    /// The most `prev_events` Synapse accepts.
    public static let maxPrevEvents = 20
    /// The most `auth_events` Synapse accepts.
    public static let maxAuthEvents = 10

    /// Parses and checks an event in the format of `roomVersion`. The event ID is computed from the
    /// reference hash unless `assignedEventID` gives one (test fixtures with made-up IDs).
    public init(
        parsing object: JSONObject, roomVersion: RoomVersion, assignedEventID: String? = nil
    ) throws(PDUFormatError) {
        let size: Int
        do {
            size = try JSONWriter.canonicalBytes(.object(object)).count
        } catch {
            throw PDUFormatError("the event has no canonical JSON form (a float or an integer beyond ±(2^53−1))")
        }
        guard size <= Self.maxBytes else {
            throw PDUFormatError("the event is \(size) bytes as canonical JSON, more than \(Self.maxBytes)")
        }
        let type = try Self.field(object, "type", limited: true)
        let sender = try Self.field(object, "sender", limited: true)
        guard UserID(sender) != nil else { throw PDUFormatError("'sender' is not a user ID") }
        let stateKey: String?
        switch object["state_key"] {
        case nil: stateKey = nil
        case .string(let key)?:
            guard key.utf8.count <= Self.maxFieldBytes else {
                throw PDUFormatError("'state_key' is longer than \(Self.maxFieldBytes) bytes")
            }
            stateKey = key
        default: throw PDUFormatError("'state_key' is not a string")
        }
        guard case .object(let content)? = object["content"] else {
            throw PDUFormatError("'content' is missing or not an object")
        }
        let prevEvents = try Self.eventIDList(object, "prev_events", limit: Self.maxPrevEvents)
        let authEvents = try Self.eventIDList(object, "auth_events", limit: Self.maxAuthEvents)
        guard case .int(let depth)? = object["depth"], depth >= 0 else {
            throw PDUFormatError("'depth' is missing or not a non-negative integer")
        }
        guard case .int(let originServerTS)? = object["origin_server_ts"] else {
            throw PDUFormatError("'origin_server_ts' is missing or not an integer")
        }
        guard case .object(let hashes)? = object["hashes"] else {
            throw PDUFormatError("'hashes' is missing or not an object")
        }
        if let sha256 = hashes["sha256"], sha256.stringValue == nil {
            throw PDUFormatError("'hashes.sha256' is not a string")
        }
        try Self.checkSignatures(object)
        if let unsigned = object["unsigned"], unsigned.objectValue == nil {
            throw PDUFormatError("'unsigned' is not an object")
        }
        let redacts: String?
        if roomVersion.redactsInContent {
            redacts = type == EventType.redaction ? content["redacts"]?.stringValue : nil
        } else {
            // Like Synapse, a `redacts` that is not a string is no target, not a malformed event.
            redacts = type == EventType.redaction ? object["redacts"]?.stringValue : nil
        }

        let eventID: String
        if let assignedEventID {
            eventID = assignedEventID
        } else {
            // Canonical encoding succeeded above, so the reference hash can be computed.
            eventID = (try? EventHashes.eventID(of: object, version: roomVersion)) ?? ""
        }
        let isV12Create = roomVersion.roomIDIsCreateEventHash && type == EventType.create && stateKey == ""
        let roomID: String
        switch object["room_id"] {
        case .string(let id)?:
            guard id.utf8.count <= Self.maxFieldBytes else {
                throw PDUFormatError("'room_id' is longer than \(Self.maxFieldBytes) bytes")
            }
            // A v12 create event with a room_id is well-formed but fails auth rule 1.2.
            roomID = id
        case nil where isV12Create:
            roomID = EventHashes.roomID(forCreateEventID: eventID)
        case nil: throw PDUFormatError("'room_id' is missing")
        default: throw PDUFormatError("'room_id' is not a string")
        }

        self.init(
            roomVersion: roomVersion, object: object, eventID: eventID, roomID: roomID, type: type,
            stateKey: stateKey, sender: sender, content: content, prevEvents: prevEvents, authEvents: authEvents,
            depth: depth, originServerTS: originServerTS, redacts: redacts)
    }

    private static func field(_ object: JSONObject, _ name: String, limited: Bool) throws(PDUFormatError) -> String {
        guard case .string(let value)? = object[name] else {
            throw PDUFormatError("'\(name)' is missing or not a string")
        }
        if limited, value.utf8.count > maxFieldBytes {
            throw PDUFormatError("'\(name)' is longer than \(maxFieldBytes) bytes")
        }
        return value
    }

    private static func eventIDList(_ object: JSONObject, _ name: String, limit: Int) throws(PDUFormatError) -> [String]
    {
        guard case .array(let values)? = object[name] else {
            throw PDUFormatError("'\(name)' is missing or not an array")
        }
        guard values.count <= limit else {
            throw PDUFormatError("'\(name)' lists \(values.count) events, more than \(limit)")
        }
        var ids: [String] = []
        ids.reserveCapacity(values.count)
        for value in values {
            guard case .string(let id) = value, id.hasPrefix("$"), id.utf8.count <= maxFieldBytes else {
                throw PDUFormatError("'\(name)' holds something other than event IDs")
            }
            ids.append(id)
        }
        return ids
    }

    private static func checkSignatures(_ object: JSONObject) throws(PDUFormatError) {
        guard case .object(let signatures)? = object["signatures"] else {
            throw PDUFormatError("'signatures' is missing or not an object")
        }
        for (_, byKey) in signatures {
            guard case .object(let keys) = byKey, keys.allSatisfy({ $0.value.stringValue != nil }) else {
                throw PDUFormatError("'signatures' is not an object of objects of strings")
            }
        }
    }
}
