import MatrixModel
import Testing

@testable import MatrixRooms

/// Builds the events of one test room with made-up IDs, in the shape each room version wants.
struct ResolutionRoom {
    static let alice = "@alice:example.com"
    static let bob = "@bob:example.com"
    static let charlie = "@charlie:example.com"
    static let zara = "@zara:example.com"

    let version: RoomVersion
    /// In v12 the create event's ID names the room: `$create` makes `!create`.
    let roomID: String
    private(set) var events: [String: PDU] = [:]
    private(set) var order: [String] = []
    private var clock: Int64 = 0

    init(version: RoomVersion, createID: String = "$create") {
        self.version = version
        roomID = version.roomIDIsCreateEventHash ? "!" + createID.dropFirst() : "!room:example.com"
    }

    var source: InMemoryEvents { InMemoryEvents(order.compactMap { events[$0] }) }

    /// Adds an event. `auth` lists auth events as the sender's server would, without v12's create
    /// event, which the room ID implies; `ts` defaults to a clock ticking once per event.
    @discardableResult
    mutating func add(
        _ id: String, sender: String, type: String, stateKey: String? = nil, content: JSONObject = [:],
        auth: [String] = [], prev: [String] = [], ts: Int64? = nil, roomID: String? = nil
    ) throws -> PDU {
        clock += 1
        let depth = (prev.compactMap { events[$0]?.depth }.max() ?? 0) + 1
        var object: JSONObject = [
            "type": .string(type), "sender": .string(sender), "content": .object(content),
            "prev_events": .array(prev.map { .string($0) }), "auth_events": .array(auth.map { .string($0) }),
            "depth": .int(depth), "origin_server_ts": .int(ts ?? clock),
            "hashes": ["sha256": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"], "signatures": [:],
        ]
        if let stateKey { object["state_key"] = .string(stateKey) }
        if !(version.roomIDIsCreateEventHash && type == EventType.create) {
            object["room_id"] = .string(roomID ?? self.roomID)
        }
        let event = try PDU(parsing: object, roomVersion: version, assignedEventID: id)
        if events[id] == nil { order.append(id) }
        events[id] = event
        return event
    }

    /// Adds an event whose auth events are picked from `state` as a server would pick them.
    @discardableResult
    mutating func addState(
        _ id: String, sender: String, type: String, stateKey: String? = "", content: JSONObject = [:],
        state: StateMap, prev: [String], ts: Int64? = nil
    ) throws -> PDU {
        let draft = try ResolutionRoom.draft(
            type: type, sender: sender, stateKey: stateKey, content: content, version: version)
        let auth = AuthEventSelection.select(for: draft, from: state)
        return try add(
            id, sender: sender, type: type, stateKey: stateKey, content: content, auth: auth, prev: prev, ts: ts)
    }

    /// An event only for asking which auth types it has.
    private static func draft(
        type: String, sender: String, stateKey: String?, content: JSONObject, version: RoomVersion
    ) throws -> PDU {
        var object: JSONObject = [
            "type": .string(type), "sender": .string(sender), "content": .object(content), "prev_events": [],
            "auth_events": [], "depth": 1, "origin_server_ts": 0, "room_id": "!draft", "hashes": [:],
            "signatures": [:],
        ]
        if let stateKey { object["state_key"] = .string(stateKey) }
        return try PDU(parsing: object, roomVersion: version, assignedEventID: "$draft")
    }

    /// The state after `id`, given the state before it.
    func stateAfter(_ id: String, before: StateMap) -> StateMap {
        var state = before
        if let key = events[id]?.stateMapKey { state[key] = id }
        return state
    }

    /// The usual start of a room: create, alice joins, power levels with alice at 100 (in v12 she
    /// is the creator and may not be listed), public join rules, then `members` join in turn.
    /// Returns the state after the last event.
    mutating func bootstrap(members: [String] = [], powerLevels extra: [String: Int64] = [:]) throws -> StateMap {
        var state: StateMap = [:]
        var last: [String] = []
        func step(_ event: PDU) {
            state[event.stateMapKey!] = event.eventID
            last = [event.eventID]
        }
        let createContent: JSONObject =
            version.creatorIsCreateSender
            ? ["room_version": .string(version.identifier)]
            : ["room_version": .string(version.identifier), "creator": .string(ResolutionRoom.alice)]
        step(
            try add(
                "$create", sender: ResolutionRoom.alice, type: EventType.create, stateKey: "", content: createContent))
        step(
            try addState(
                "$join-alice", sender: ResolutionRoom.alice, type: EventType.member, stateKey: ResolutionRoom.alice,
                content: ["membership": "join"], state: state, prev: last))
        var users: [String: JSONValue] = version.creatorsHaveInfinitePower ? [:] : [ResolutionRoom.alice: 100]
        for (user, level) in extra { users[user] = .int(level) }
        step(
            try addState(
                "$pl", sender: ResolutionRoom.alice, type: EventType.powerLevels,
                content: ["users": .object(JSONObject(users)), "state_default": 50, "ban": 50, "kick": 50],
                state: state, prev: last))
        step(
            try addState(
                "$join-rules", sender: ResolutionRoom.alice, type: EventType.joinRules,
                content: ["join_rule": "public"],
                state: state, prev: last))
        for member in members {
            let name = member.dropFirst().prefix { $0 != ":" }
            step(
                try addState(
                    "$join-\(name)", sender: member, type: EventType.member, stateKey: member,
                    content: ["membership": "join"], state: state, prev: last))
        }
        return state
    }
}

/// Auth rules for unit tests of the algorithm's plumbing, independent of the real rules: an event
/// is allowed unless its content says `"deny": true`, or it is a `deny_if_banned` event and the
/// state given for judging it holds a ban of its sender.
let plumbingRules: IterativeAuthChecks.Authorise = { event, state in
    if event.content["deny"]?.boolValue == true { return .rejected("denied by the test") }
    if event.content["deny_if_banned"]?.boolValue == true,
        state[.member(event.sender)]?.membership == "ban"
    {
        return .rejected("sender banned")
    }
    return .allowed
}

/// A deterministic generator (SplitMix64), so property tests are random but repeatable.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

/// A source that answers only ``StateResolutionSource/events(_:)``, so the protocol's default
/// auth-chain answers are used, and counts how often it is asked.
actor CountingSource: StateResolutionSource {
    let inner: InMemoryEvents
    private(set) var calls = 0

    init(_ inner: InMemoryEvents) {
        self.inner = inner
    }

    func events(_ ids: Set<String>) -> [String: PDU] {
        calls += 1
        return inner.events(ids)
    }
}
