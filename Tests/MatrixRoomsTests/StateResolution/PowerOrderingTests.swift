import MatrixModel
import Testing

@testable import MatrixRooms

@Suite("State resolution: reverse topological power ordering")
struct PowerOrderingTests {
    @Test("Without edges: higher power first, then earlier origin_server_ts, then smaller event ID")
    func tieBreaks() {
        let power: [String: Int64] = ["$a": 50, "$b": 100, "$c": 50, "$d": 50]
        let ts: [String: Int64] = ["$a": 5, "$b": 9, "$c": 5, "$d": 1]
        let graph: [String: Set<String>] = ["$a": [], "$b": [], "$c": [], "$d": []]
        let sorted = PowerOrdering.sort(graph, powerLevel: { power[$0]! }, originServerTS: { ts[$0]! })
        #expect(sorted == ["$b", "$d", "$a", "$c"])
    }

    @Test("Event IDs compare by UTF-8 bytes (code points), not by Unicode canonical equivalence")
    func eventIDsCompareByBytes() {
        // U+00E9 and e + U+0301 are equal Swift Strings, but distinct IDs: 0x65 sorts before 0xC3.
        let composed = OrderingKey(rank: 0, originServerTS: 0, eventID: "$\u{E9}")
        let decomposed = OrderingKey(rank: 0, originServerTS: 0, eventID: "$e\u{301}")
        #expect(decomposed < composed)
        #expect(!(composed < decomposed))
        #expect(composed != decomposed)
        #expect(OrderingKey(rank: 0, originServerTS: 0, eventID: "$Z") < decomposed)
    }

    @Test("An auth event comes before the events citing it, whatever their senders' power")
    func topologyFirst() {
        let power: [String: Int64] = ["$weak": 0, "$strong": 100, "$other": 50]
        let graph: [String: Set<String>] = ["$strong": ["$weak"], "$weak": [], "$other": []]
        let sorted = PowerOrdering.sort(graph, powerLevel: { power[$0]! }, originServerTS: { _ in 0 })
        #expect(sorted == ["$other", "$weak", "$strong"])
    }

    @Test("The graph spans the power events and their auth chains within the full conflicted set only")
    func authGraphWithinConflictedSet() {
        let auth: [String: [String]] = ["$p": ["$x", "$u"], "$x": ["$y"], "$u": ["$z"], "$y": [], "$z": []]
        let graph = PowerOrdering.authGraph(from: ["$p"], within: ["$p", "$x", "$y", "$z"]) { auth[$0] ?? [] }
        // $z is conflicted but only reachable through the unconflicted $u: like Synapse, not walked.
        #expect(graph == ["$p": ["$x"], "$x": ["$y"], "$y": []])
    }

    @Test("A sender's level comes from the power levels among its auth events, else users_default")
    func levelFromPowerLevels() throws {
        var room = ResolutionRoom(version: .v11)
        let state = try room.bootstrap(members: [ResolutionRoom.bob], powerLevels: [ResolutionRoom.bob: 50])
        let pl = room.events["$pl"]!
        let byBob = try room.addState("$t", sender: ResolutionRoom.bob, type: "m.room.topic", state: state, prev: [])
        let byZara = try room.addState("$t2", sender: ResolutionRoom.zara, type: "m.room.topic", state: state, prev: [])
        let create = room.events["$create"]!
        #expect(SenderPowerLevel.of(byBob, authEvents: [create, pl]) == 50)
        #expect(SenderPowerLevel.of(byZara, authEvents: [create, pl]) == 0)
        var withDefault = room
        let raised = try withDefault.add(
            "$pl-default", sender: ResolutionRoom.alice, type: EventType.powerLevels, stateKey: "",
            content: ["users": [ResolutionRoom.alice: 100], "users_default": 7])
        #expect(SenderPowerLevel.of(byZara, authEvents: [create, raised]) == 7)
    }

    @Test("Without power levels the creator has 100: v10 reads content.creator, v11 the create sender")
    func creatorWithoutPowerLevels() throws {
        for version in [RoomVersion.v10, .v11] {
            var room = ResolutionRoom(version: version)
            let create = try room.add(
                "$create", sender: ResolutionRoom.alice, type: EventType.create, stateKey: "",
                content: ["creator": .string(ResolutionRoom.bob)])
            let byAlice = try room.add("$a", sender: ResolutionRoom.alice, type: "m.room.topic", stateKey: "")
            let byBob = try room.add("$b", sender: ResolutionRoom.bob, type: "m.room.topic", stateKey: "")
            let expectAlice: Int64 = version == .v10 ? 0 : 100
            #expect(SenderPowerLevel.of(byAlice, authEvents: [create]) == expectAlice)
            #expect(SenderPowerLevel.of(byBob, authEvents: [create]) == 100 - expectAlice)
            #expect(SenderPowerLevel.of(byBob, authEvents: []) == 0)
        }
    }

    @Test("v12 creators, additional ones included, rank above any power level; v11 has no such rank")
    func v12Creators() throws {
        for version in [RoomVersion.v11, .v12] {
            var room = ResolutionRoom(version: version)
            let create = try room.add(
                "$create", sender: ResolutionRoom.alice, type: EventType.create, stateKey: "",
                content: ["additional_creators": [.string(ResolutionRoom.bob)]])
            let pl = try room.add(
                "$pl", sender: ResolutionRoom.alice, type: EventType.powerLevels, stateKey: "",
                content: ["users": [ResolutionRoom.charlie: 100]])
            let byBob = try room.add("$b", sender: ResolutionRoom.bob, type: "m.room.topic", stateKey: "")
            let byCharlie = try room.add("$c", sender: ResolutionRoom.charlie, type: "m.room.topic", stateKey: "")
            let bobLevel = SenderPowerLevel.of(byBob, authEvents: [create, pl])
            #expect(bobLevel == (version == .v12 ? SenderPowerLevel.creator : 0))
            #expect(SenderPowerLevel.of(byCharlie, authEvents: [create, pl]) == 100)
        }
    }
}
