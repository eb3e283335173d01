public import MatrixModel

/// The room rules as JSON in, JSON out: what `keyport events id|auth|resolve` prints, for operators
/// debugging a room and for checking the rules from outside (the Synapse differential test).
///
/// Each input names its `room_version`. Events are PDUs as servers exchange them; an `event_id`
/// member, as clients and some tools show events, is taken as the event's ID and left out of the
/// PDU (rooms v4 and later never carry one on the wire).
public enum RoomEventsTool {
    /// `{"room_version", "event"}` → `{"event_id", "redacted", "content_hash_ok"}`.
    public static func id(_ input: JSONValue) throws(RoomEventsToolError) -> JSONValue {
        let request = try object(input, "the input")
        let version = try roomVersion(request)
        let event = try object(request["event"], "'event'")
        let pdu = try parse(event, version: version, honourEventID: false)
        return .object([
            "event_id": .string(pdu.eventID),
            "redacted": .object(Redaction.redact(event, rules: version.redactionRules)),
            "content_hash_ok": .bool(EventHashes.contentHashMatches(event)),
        ])
    }

    /// `{"room_version", "event", "auth_events"}` → `{"allowed", "reason"}`: the event judged against
    /// the auth events it names (for v12 the create event is given too, though never named).
    public static func auth(_ input: JSONValue) throws(RoomEventsToolError) -> JSONValue {
        let request = try object(input, "the input")
        let version = try roomVersion(request)
        let event = try parse(try object(request["event"], "'event'"), version: version, honourEventID: true)
        var authEvents: [String: PDU] = [:]
        for (index, value) in try array(request["auth_events"], "'auth_events'").enumerated() {
            let pdu = try parse(try object(value, "auth_events[\(index)]"), version: version, honourEventID: true)
            authEvents[pdu.eventID] = pdu
        }
        let decision = PDUChecks.againstAuthEvents(event, authEvents: authEvents)
        switch decision {
        case .allowed: return .object(["allowed": true, "reason": "allowed"])
        case .rejected(let reason): return .object(["allowed": false, "reason": .string(reason)])
        }
    }

    static func roomVersion(_ request: JSONObject) throws(RoomEventsToolError) -> RoomVersion {
        guard let identifier = request["room_version"]?.stringValue else {
            throw RoomEventsToolError("'room_version' is missing or not a string")
        }
        guard let version = RoomVersion.named(identifier) else {
            let known = RoomVersion.supported.map(\.identifier).joined(separator: ", ")
            throw RoomEventsToolError("room version '\(identifier)' is not supported (supported: \(known))")
        }
        return version
    }

    static func parse(_ event: JSONObject, version: RoomVersion, honourEventID: Bool) throws(RoomEventsToolError) -> PDU
    {
        var pdu = event
        var assigned: String?
        if honourEventID, let id = pdu.removeValue(forKey: "event_id") {
            guard let text = id.stringValue else { throw RoomEventsToolError("'event_id' is not a string") }
            assigned = text
        }
        do {
            return try PDU(parsing: pdu, roomVersion: version, assignedEventID: assigned)
        } catch {
            throw RoomEventsToolError("\(assigned ?? "an event") is not a valid room \(version) PDU: \(error.reason)")
        }
    }

    static func object(_ value: JSONValue?, _ name: String) throws(RoomEventsToolError) -> JSONObject {
        guard let object = value?.objectValue else { throw RoomEventsToolError("\(name) is missing or not an object") }
        return object
    }

    static func array(_ value: JSONValue?, _ name: String) throws(RoomEventsToolError) -> [JSONValue] {
        guard let array = value?.arrayValue else { throw RoomEventsToolError("\(name) is missing or not an array") }
        return array
    }
}

/// Bad input to ``RoomEventsTool``: the command prints it and exits with status 2.
public struct RoomEventsToolError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }
}

extension RoomEventsTool {
    /// `{"room_version", "events", "state_sets"}` → `{"state": [event_id…]}`: the state sets (lists of
    /// event IDs, each naming a state event of `events`) resolved with the room version's algorithm,
    /// with `events` as everything known (the named events and their auth chains). The IDs are
    /// printed sorted, so equal states print alike.
    public static func resolve(_ input: JSONValue) async throws(RoomEventsToolError) -> JSONValue {
        let request = try object(input, "the input")
        let version = try roomVersion(request)
        var events: [String: PDU] = [:]
        for (index, value) in try array(request["events"], "'events'").enumerated() {
            let pdu = try parse(try object(value, "events[\(index)]"), version: version, honourEventID: true)
            events[pdu.eventID] = pdu
        }
        var stateSets: [StateMap] = []
        for (index, value) in try array(request["state_sets"], "'state_sets'").enumerated() {
            var state: StateMap = [:]
            for id in try array(value, "state_sets[\(index)]") {
                guard let id = id.stringValue else {
                    throw RoomEventsToolError("state_sets[\(index)] holds a non-string")
                }
                guard let key = events[id]?.stateMapKey else {
                    throw RoomEventsToolError("state_sets[\(index)] names \(id), which is no state event of 'events'")
                }
                guard state.updateValue(id, forKey: key) == nil else {
                    throw RoomEventsToolError("state_sets[\(index)] names two events for \(key)")
                }
            }
            stateSets.append(state)
        }
        let resolved: StateMap
        do {
            resolved = try await StateResolver.resolve(
                version: version, stateSets: stateSets, source: InMemoryEvents(events.values))
        } catch {
            throw RoomEventsToolError("state resolution failed: \(error)")
        }
        let ids = resolved.values.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return .object(["state": .array(ids.map { .string($0) })])
    }
}
