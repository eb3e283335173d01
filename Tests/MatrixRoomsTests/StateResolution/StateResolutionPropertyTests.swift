import MatrixModel
import Testing

@testable import MatrixRooms

/// Resolution must not depend on anything but the states and the events: not on the order of the
/// state sets, nor on the order in which events were handed to the source (which changes the
/// iteration order of every dictionary built from them). Random DAGs with forks, from a fixed seed.
@Suite("State resolution: properties")
struct StateResolutionPropertyTests {
    static let users = [
        ResolutionRoom.alice, ResolutionRoom.bob, ResolutionRoom.charlie, ResolutionRoom.zara, "@evelyn:example.com",
    ]

    /// A random room: after a bootstrap, each event extends one or two random earlier events (so
    /// forks and merges abound) with a random state change by a random user, which the auth rules may
    /// or may not allow. Timestamps repeat on purpose, so ties fall to the event ID.
    static func randomRoom(
        version: RoomVersion, events count: Int, using generator: inout SeededGenerator
    ) async throws -> (room: ResolutionRoom, walk: DAGWalk, tips: [String]) {
        var room = ResolutionRoom(version: version)
        var walk = DAGWalk()
        var before: StateMap = [:]
        _ = try room.bootstrap(members: [ResolutionRoom.bob], powerLevels: [ResolutionRoom.bob: 50])
        for id in room.order {
            walk.record(room.events[id]!, before: before)
            before = walk.statesAfter[id]!
        }
        var nodes = room.order
        for index in 0..<count {
            var prev = [nodes.suffix(6).randomElement(using: &generator)!]
            if Bool.random(using: &generator), let other = nodes.suffix(10).randomElement(using: &generator),
                other != prev[0]
            {
                prev.append(other)
            }
            let state = try await walk.stateBefore(prev: prev, version: version, source: room.source)
            let sender = users.randomElement(using: &generator)!
            let target = users.randomElement(using: &generator)!
            let id = "$e\(index)"
            let ts = Int64.random(in: 0..<Int64(count / 3 + 1), using: &generator)
            let event: PDU
            switch Int.random(in: 0..<6, using: &generator) {
            case 0:
                let membership = ["join", "leave", "ban", "invite"].randomElement(using: &generator)!
                event = try room.addState(
                    id, sender: sender, type: EventType.member, stateKey: target,
                    content: ["membership": .string(membership)], state: state, prev: prev, ts: ts)
            case 1:
                var levels: [String: JSONValue] = [:]
                for user in users.dropFirst() where Bool.random(using: &generator) {
                    levels[user] = .int([0, 50, 100].randomElement(using: &generator)!)
                }
                if !version.creatorsHaveInfinitePower { levels[ResolutionRoom.alice] = 100 }
                event = try room.addState(
                    id, sender: sender, type: EventType.powerLevels, content: ["users": .object(JSONObject(levels))],
                    state: state, prev: prev, ts: ts)
            case 2:
                let rule = ["public", "invite"].randomElement(using: &generator)!
                event = try room.addState(
                    id, sender: sender, type: EventType.joinRules, content: ["join_rule": .string(rule)], state: state,
                    prev: prev, ts: ts)
            default:
                event = try room.addState(
                    id, sender: sender, type: "m.room.topic", content: ["topic": .string(id)], state: state, prev: prev,
                    ts: ts)
            }
            walk.record(event, before: state)
            nodes.append(id)
        }
        return (room, walk, nodes)
    }

    @Test(
        "The order of the state sets and of the supplied events does not change the result",
        arguments: RoomVersion.supported)
    func orderIndependence(version: RoomVersion) async throws {
        var generator = SeededGenerator(seed: 0x5EED_0000 + UInt64(version.identifier)!)
        var checked = 0
        for _ in 0..<12 {
            let (room, walk, nodes) = try await Self.randomRoom(version: version, events: 30, using: &generator)
            let events = room.order.compactMap { room.events[$0] }
            for _ in 0..<8 {
                let picked = (0..<Int.random(in: 2...4, using: &generator)).map { _ in
                    nodes.suffix(20).randomElement(using: &generator)!
                }
                let stateSets = picked.compactMap { walk.statesAfter[$0] }
                let expected = try await StateResolver.resolve(
                    version: version, stateSets: stateSets, source: InMemoryEvents(events))
                for _ in 0..<3 {
                    // Rebuild each state map in another insertion order, too.
                    let shuffledSets = stateSets.shuffled(using: &generator).map { state in
                        var rebuilt: StateMap = [:]
                        for (key, value) in state.shuffled(using: &generator) { rebuilt[key] = value }
                        return rebuilt
                    }
                    let shuffledEvents = InMemoryEvents(events.shuffled(using: &generator))
                    let result = try await StateResolver.resolve(
                        version: version, stateSets: shuffledSets, source: shuffledEvents)
                    #expect(result == expected, "sets \(picked)")
                    checked += 1
                }
                // Through the protocol's default answers (a store without an index) the same.
                let viaDefaults = try await StateResolver.resolve(
                    version: version, stateSets: stateSets, source: CountingSource(InMemoryEvents(events)))
                #expect(viaDefaults == expected)
            }
        }
        #expect(checked == 12 * 8 * 3)
    }

    @Test("Resolving a state with itself, or a single state, gives it back", arguments: RoomVersion.supported)
    func idempotence(version: RoomVersion) async throws {
        var generator = SeededGenerator(seed: 42)
        let (room, walk, nodes) = try await Self.randomRoom(version: version, events: 20, using: &generator)
        for node in nodes.suffix(10) {
            let state = walk.statesAfter[node]!
            #expect(try await StateResolver.resolve(version: version, stateSets: [state], source: room.source) == state)
            #expect(
                try await StateResolver.resolve(version: version, stateSets: [state, state], source: room.source)
                    == state)
        }
    }
}
