import MatrixModel
import MatrixRooms
import Testing

/// A room built event by event for rule tests: real PDUs with computed IDs, auth events chosen by
/// the selection algorithm from the current state, state updated as events are applied.
struct TestRoom {
    let version: RoomVersion
    /// The local part of the room ID before v12.
    let name: String
    private(set) var state: [StateKey: PDU] = [:]
    private(set) var roomID = ""
    private(set) var lastEventID: String?
    private var clock: Int64 = 1_000

    static let alice = "@alice:a.test"
    static let bob = "@bob:b.test"
    static let carol = "@carol:c.test"

    /// Alice creates the room, joins, sets power levels (herself at 100 before v12; creators are
    /// never listed in v12) and the join rule.
    init(
        version: RoomVersion, joinRule: String = "public", users: JSONObject = [:], createContent: JSONObject = [:],
        powerLevels: JSONObject? = nil, name: String = "room"
    ) throws {
        self.version = version
        self.name = name
        var content = createContent
        content["room_version"] = .string(version.identifier)
        if !version.creatorIsCreateSender { content["creator"] = .string(Self.alice) }
        try apply(try event(EventType.create, stateKey: "", sender: Self.alice, content: content))
        try apply(try member(Self.alice, "join"))
        var levels: JSONObject = powerLevels ?? [:]
        var listed = users
        if !version.creatorsHaveInfinitePower, listed[Self.alice] == nil { listed[Self.alice] = 100 }
        if levels["users"] == nil { levels["users"] = .object(listed) }
        try apply(try event(EventType.powerLevels, stateKey: "", sender: Self.alice, content: levels))
        try apply(
            try event(EventType.joinRules, stateKey: "", sender: Self.alice, content: ["join_rule": .string(joinRule)]))
    }

    /// A PDU in this room; `authEvents` defaults to the selection from the current state.
    mutating func event(
        _ type: String, stateKey: String? = nil, sender: String, content: JSONObject = [:],
        authEvents: [String]? = nil, prevEvents: [String]? = nil, extra: JSONObject = [:]
    ) throws -> PDU {
        clock += 1
        var object: JSONObject = [
            "type": .string(type), "sender": .string(sender), "content": .object(content),
            "origin_server_ts": .int(clock), "depth": .int(clock - 1_000),
            "prev_events": .array((prevEvents ?? lastEventID.map { [$0] } ?? []).map { .string($0) }),
            "auth_events": [], "hashes": [:], "signatures": .object([Self.server(of: sender): ["ed25519:k": "x"]]),
        ]
        if let stateKey { object["state_key"] = .string(stateKey) }
        let isCreate = type == EventType.create
        if !(isCreate && version.roomIDIsCreateEventHash) {
            object["room_id"] = .string(isCreate ? "!\(name):\(Self.server(of: sender))" : roomID)
        }
        for (key, value) in extra { object[key] = value }
        // The selection needs a parsed event; parse once without auth events to learn its keys.
        let draft = try PDU(parsing: object, roomVersion: version)
        let chosen = authEvents ?? AuthEventSelection.select(for: draft, from: state.mapValues(\.eventID))
        object["auth_events"] = .array(chosen.map { .string($0) })
        object["hashes"] = .object(["sha256": .string(try EventHashes.contentHash(of: object))])
        _ = draft
        return try PDU(parsing: object, roomVersion: version)
    }

    mutating func member(_ user: String, _ membership: String, sender: String? = nil, content: JSONObject = [:])
        throws -> PDU
    {
        var body = content
        body["membership"] = .string(membership)
        return try event(EventType.member, stateKey: user, sender: sender ?? user, content: body)
    }

    /// Adds an event to the state (after checking it is allowed, so the setup itself is sound).
    mutating func apply(_ pdu: PDU) throws {
        let decision = check(pdu)
        try #require(decision.isAllowed, "setup event \(pdu) was \(decision)")
        if pdu.type == EventType.create { roomID = pdu.roomID }
        if let key = pdu.stateMapKey { state[key] = pdu }
        lastEventID = pdu.eventID
    }

    /// Joins a user the way the join rule allows (inviting first when needed).
    mutating func join(_ user: String) throws {
        if let rule = state[.joinRules]?.content["join_rule"]?.stringValue, rule != "public" {
            try apply(try member(user, "invite", sender: Self.alice))
        }
        try apply(try member(user, "join"))
    }

    /// The event judged against the auth events it names.
    func check(_ pdu: PDU) -> AuthDecision {
        var known = Dictionary(state.values.map { ($0.eventID, $0) }) { first, _ in first }
        if pdu.type == EventType.create { known[pdu.eventID] = pdu }
        return PDUChecks.againstAuthEvents(pdu, authEvents: known)
    }

    static func server(of user: String) -> String {
        String(user[user.index(after: user.firstIndex(of: ":")!)...])
    }
}
