import MatrixModel
import Testing

@testable import MatrixRooms

/// The graphs of Synapse's `tests/state/test_v2.py`, built here by hand for every supported room
/// version (the converted fixtures cover v10 and v11 only). In v12 Alice is the room's creator, so
/// she is left out of power levels' `users`, where v12 forbids creators.
@Suite("State resolution: classic DAG scenarios")
struct ClassicScenarioTests {
    static let evelyn = "@evelyn:example.com"

    struct Node {
        let id: String
        let sender: String
        let type: String
        let stateKey: String?
        let content: JSONObject
    }

    static func node(
        _ id: String, _ sender: String, _ type: String, _ stateKey: String? = "", _ content: JSONObject = [:]
    ) -> Node {
        Node(id: id, sender: sender, type: type, stateKey: stateKey, content: content)
    }

    static func powerLevels(_ id: String, by sender: String, _ users: [String: Int64]) -> Node {
        node(id, sender, EventType.powerLevels, "", ["users": .object(JSONObject(users.mapValues { .int($0) }))])
    }

    static func member(_ id: String, by sender: String, _ target: String, _ membership: String) -> Node {
        node(id, sender, EventType.member, target, ["membership": .string(membership)])
    }

    static func topic(_ id: String, by sender: String) -> Node { node(id, sender, "m.room.topic") }

    static let initial: [Node] = [
        node("CREATE", ResolutionRoom.alice, EventType.create),
        member("IMA", by: ResolutionRoom.alice, ResolutionRoom.alice, "join"),
        powerLevels("IPOWER", by: ResolutionRoom.alice, [ResolutionRoom.alice: 100]),
        node("IJR", ResolutionRoom.alice, EventType.joinRules, "", ["join_rule": "public"]),
        member("IMB", by: ResolutionRoom.bob, ResolutionRoom.bob, "join"),
        member("IMC", by: ResolutionRoom.charlie, ResolutionRoom.charlie, "join"),
        member("IMZ", by: ResolutionRoom.zara, ResolutionRoom.zara, "join"),
        node("START", ResolutionRoom.zara, "m.room.message", nil),
        node("END", ResolutionRoom.zara, "m.room.message", nil),
    ]
    static let initialEdges = ["START", "IMZ", "IMC", "IMB", "IJR", "IPOWER", "IMA", "CREATE"]

    /// Builds the graph (each chain in `edges` runs from a later event to an earlier one), visits it
    /// in topological order with ties by node ID, as Synapse's harness does, picking each event's
    /// auth events from the state before it, and returns the state at END and at START.
    static func run(
        _ nodes: [Node], edges: [[String]], version: RoomVersion
    ) async throws -> (end: StateMap, start: StateMap, ids: (String) -> String) {
        let all = initial + nodes
        let byID = Dictionary(uniqueKeysWithValues: all.map { ($0.id, $0) })
        var prev: [String: Set<String>] = Dictionary(uniqueKeysWithValues: all.map { ($0.id, []) })
        for chain in [initialEdges] + edges {
            for (later, earlier) in zip(chain, chain.dropFirst()) { prev[later]!.insert(earlier) }
        }
        let ids: (String) -> String = { "$\($0)" }
        var room = ResolutionRoom(version: version, createID: "$CREATE")
        var walk = DAGWalk()
        var placed = Set<String>()
        while placed.count < all.count {
            let next = all.map(\.id).filter { !placed.contains($0) && prev[$0]!.isSubset(of: placed) }.min()!
            placed.insert(next)
            let node = byID[next]!
            let prevIDs = prev[next]!.sorted().map(ids)
            let before = try await walk.stateBefore(prev: prevIDs, version: version, source: room.source)
            var content = node.content
            if node.type == EventType.create {
                content = version.creatorIsCreateSender ? [:] : ["creator": .string(ResolutionRoom.alice)]
                content["room_version"] = .string(version.identifier)
            }
            if node.type == EventType.powerLevels, version.creatorsHaveInfinitePower,
                var users = content["users"]?.objectValue
            {
                users.removeValue(forKey: ResolutionRoom.alice)
                content["users"] = .object(users)
            }
            let event = try room.addState(
                ids(next), sender: node.sender, type: node.type, stateKey: node.stateKey, content: content,
                state: before, prev: prevIDs)
            walk.record(event, before: before)
        }
        return (walk.statesAfter[ids("END")]!, walk.statesAfter[ids("START")]!, ids)
    }

    /// Synapse's check: every expected event is in END's state, and every key of END's state that
    /// changed since START is expected.
    static func check(
        _ nodes: [Node], edges: [[String]], expected: [String], version: RoomVersion,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (end, start, ids) = try await run(nodes, edges: edges, version: version)
        let byID = Dictionary(uniqueKeysWithValues: (initial + nodes).map { ($0.id, $0) })
        var expectedState: StateMap = [:]
        for id in expected {
            let node = byID[id]!
            expectedState[StateKey(node.type, node.stateKey!)] = ids(id)
        }
        let changed = end.filter { expectedState[$0.key] != nil || start[$0.key] != $0.value }
        #expect(changed == expectedState, "v\(version.identifier)", sourceLocation: sourceLocation)
    }

    @Test(
        "Ban vs power levels: Alice bans Bob, so Bob's concurrent power levels lose", arguments: RoomVersion.supported)
    func banVsPowerLevels(version: RoomVersion) async throws {
        let nodes = [
            Self.powerLevels("PA", by: ResolutionRoom.alice, [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50]),
            Self.member("MA", by: ResolutionRoom.alice, ResolutionRoom.alice, "join"),
            Self.member("MB", by: ResolutionRoom.alice, ResolutionRoom.bob, "ban"),
            Self.powerLevels("PB", by: ResolutionRoom.bob, [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50]),
        ]
        try await Self.check(
            nodes, edges: [["END", "MB", "MA", "PA", "START"], ["END", "PB", "PA"]], expected: ["PA", "MA", "MB"],
            version: version)
    }

    @Test(
        "Join rule evasion: a join concurrent with closing the room does not get in", arguments: RoomVersion.supported)
    func joinRuleEvasion(version: RoomVersion) async throws {
        let nodes = [
            Self.node("JR", ResolutionRoom.alice, EventType.joinRules, "", ["join_rule": "invite"]),
            Self.member("ME", by: Self.evelyn, Self.evelyn, "join"),
        ]
        try await Self.check(
            nodes, edges: [["END", "JR", "START"], ["END", "ME", "START"]], expected: ["JR"], version: version)
    }

    @Test("Offtopic power levels: a chain of delegated power levels stands", arguments: RoomVersion.supported)
    func offtopicPowerLevels(version: RoomVersion) async throws {
        let nodes = [
            Self.powerLevels("PA", by: ResolutionRoom.alice, [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50]),
            Self.powerLevels(
                "PB", by: ResolutionRoom.bob,
                [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50, ResolutionRoom.charlie: 50]),
            Self.powerLevels(
                "PC", by: ResolutionRoom.charlie,
                [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50, ResolutionRoom.charlie: 0]),
        ]
        try await Self.check(
            nodes, edges: [["END", "PC", "PB", "PA", "START"], ["END", "PA"]], expected: ["PC"], version: version)
    }

    @Test("Topic reset: banning Bob undoes his topic, back to Alice's", arguments: RoomVersion.supported)
    func topicReset(version: RoomVersion) async throws {
        let nodes = [
            Self.topic("T1", by: ResolutionRoom.alice),
            Self.powerLevels("PA", by: ResolutionRoom.alice, [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50]),
            Self.topic("T2", by: ResolutionRoom.bob),
            Self.member("MB", by: ResolutionRoom.alice, ResolutionRoom.bob, "ban"),
        ]
        try await Self.check(
            nodes, edges: [["END", "MB", "T2", "PA", "T1", "START"], ["END", "T1"]], expected: ["T1", "MB", "PA"],
            version: version)
    }

    @Test(
        "Mainline sort: the topic under the newest power levels wins, though sent earlier",
        arguments: RoomVersion.supported)
    func mainlineSort(version: RoomVersion) async throws {
        let nodes = [
            Self.topic("T1", by: ResolutionRoom.alice),
            Self.powerLevels("PA1", by: ResolutionRoom.alice, [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50]),
            Self.topic("T2", by: ResolutionRoom.alice),
            Self.node(
                "PA2", ResolutionRoom.alice, EventType.powerLevels, "",
                ["users": [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50], "events": [EventType.powerLevels: 100]]),
            Self.powerLevels("PB", by: ResolutionRoom.bob, [ResolutionRoom.alice: 100, ResolutionRoom.bob: 50]),
            Self.topic("T3", by: ResolutionRoom.bob), Self.topic("T4", by: ResolutionRoom.alice),
        ]
        try await Self.check(
            nodes, edges: [["END", "T3", "PA2", "T2", "PA1", "T1", "START"], ["END", "T4", "PB", "PA1"]],
            expected: ["T3", "PA2"], version: version)
    }
}
