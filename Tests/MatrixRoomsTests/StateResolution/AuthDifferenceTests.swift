import MatrixModel
import Testing

@testable import MatrixRooms

@Suite("State resolution: auth chains and the auth difference")
struct AuthDifferenceTests {
    @Test("The difference is the union of the chains less their intersection")
    func unionLessIntersection() {
        #expect(
            AuthDifference.of(chains: [["$a", "$b", "$c"], ["$a", "$b", "$d"], ["$a", "$b", "$c"]]) == ["$c", "$d"])
        #expect(AuthDifference.of(chains: [["$a", "$b"]]).isEmpty)
        #expect(AuthDifference.of(chains: [[], ["$a"]]) == ["$a"])
        #expect(AuthDifference.of(chains: []).isEmpty)
    }

    @Test(
        "An auth chain holds the events themselves, and in v12 the create event the room ID implies",
        arguments: [RoomVersion.v10, .v12])
    func authChainIncludesCreate(version: RoomVersion) throws {
        var room = ResolutionRoom(version: version)
        _ = try room.bootstrap(members: [ResolutionRoom.bob])
        let listed = room.events["$join-bob"]!.authEvents
        #expect(listed.contains("$create") == version.createEventInAuthEvents)
        let chain = room.source.authChain(of: ["$join-bob"])
        #expect(chain == ["$join-bob", "$create", "$join-alice", "$pl", "$join-rules"])
        #expect(room.source.authChain(of: ["$unknown"]).isEmpty)
    }

    @Test("The protocol's default answers, from events alone, match a direct walk", arguments: [RoomVersion.v11, .v12])
    func defaultAnswersMatch(version: RoomVersion) async throws {
        var room = ResolutionRoom(version: version)
        let base = try room.bootstrap(members: [ResolutionRoom.bob, ResolutionRoom.charlie])
        let a = try room.addState(
            "$topic-a", sender: ResolutionRoom.alice, type: "m.room.topic", content: ["topic": "a"], state: base,
            prev: ["$join-charlie"])
        let b = try room.addState(
            "$topic-b", sender: ResolutionRoom.bob, type: "m.room.topic", content: ["topic": "b"], state: base,
            prev: ["$join-charlie"])
        var afterA = base
        afterA[a.stateMapKey!] = a.eventID
        let leave = try room.addState(
            "$leave-charlie", sender: ResolutionRoom.charlie, type: EventType.member, stateKey: ResolutionRoom.charlie,
            content: ["membership": "leave"], state: afterA, prev: ["$topic-a"])
        afterA[leave.stateMapKey!] = leave.eventID
        var afterB = base
        afterB[b.stateMapKey!] = b.eventID
        let sets = [Set(afterA.values), Set(afterB.values)]

        let naive = AuthDifference.of(chains: sets.map { room.source.authChain(of: $0) })
        let counting = CountingSource(room.source)
        #expect(try await counting.authChain(of: Set(afterA.values)) == room.source.authChain(of: Set(afterA.values)))
        #expect(try await counting.authDifference(of: sets) == naive)
        #expect(try await room.source.authDifference(of: sets) == naive)
        // Inclusive chains: each set's own events are in its chain, so its distinct events differ.
        #expect(naive == ["$topic-a", "$topic-b", "$leave-charlie"])
    }
}
