import MatrixRooms
import Testing

@Suite("State resolution: conflicted and unconflicted state")
struct ConflictedStateTests {
    let topic = StateKey("m.room.topic", "")
    let name = StateKey("m.room.name", "")
    let bob = StateKey.member("@bob:example.com")

    @Test("A key mapped to one event by every state set is unconflicted; differing keys are conflicted")
    func agreementAndDisagreement() {
        let split = ConflictedState(splitting: [
            [.create: "$c", topic: "$t1", name: "$n"],
            [.create: "$c", topic: "$t2", name: "$n"],
        ])
        #expect(split.unconflicted == [.create: "$c", name: "$n"])
        #expect(split.conflicted == [topic: ["$t1", "$t2"]])
        #expect(split.conflictedEventIDs == ["$t1", "$t2"])
    }

    @Test("A key missing from one state set is conflicted even though the others agree")
    func missingKeyIsConflicted() {
        let split = ConflictedState(splitting: [
            [.create: "$c", bob: "$join"],
            [.create: "$c", bob: "$join"],
            [.create: "$c"],
        ])
        #expect(split.unconflicted == [.create: "$c"])
        #expect(split.conflicted == [bob: ["$join"]])
    }

    @Test("One state set, or none, has nothing conflicted")
    func trivialInputs() {
        #expect(ConflictedState(splitting: [[topic: "$t"]]).unconflicted == [topic: "$t"])
        #expect(ConflictedState(splitting: [[topic: "$t"]]).conflicted.isEmpty)
        #expect(ConflictedState(splitting: []) == ConflictedState(splitting: [[:]]))
    }
}
