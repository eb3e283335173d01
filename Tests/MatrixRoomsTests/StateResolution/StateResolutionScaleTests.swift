import MatrixModel
import Testing

@testable import MatrixRooms

/// Big rooms: a fork in a room of thousands resolves correctly. How fast is a benchmark's question,
/// not a unit test's; this one checks the answer only.
@Suite("State resolution: scale")
struct StateResolutionScaleTests {
    @Test("3,000 members, two forks with 1,000 concurrent membership changes")
    func thousandsOfMembers() async throws {
        var room = ResolutionRoom(version: .v12)
        let members = (0..<3_000).map { "@user\($0):example.com" }
        let base = try room.bootstrap(members: members)
        var forkA = base
        var forkB = base
        for (index, member) in members.prefix(1_000).enumerated() {
            // Alice kicks on one fork; the member leaves on the other.
            try room.addState(
                "$kick-\(index)", sender: ResolutionRoom.alice, type: EventType.member, stateKey: member,
                content: ["membership": "leave"], state: base, prev: [])
            forkA[.member(member)] = "$kick-\(index)"
            try room.addState(
                "$leave-\(index)", sender: member, type: EventType.member, stateKey: member,
                content: ["membership": "leave"], state: base, prev: [])
            forkB[.member(member)] = "$leave-\(index)"
        }
        let resolved = try await StateResolver.resolve(version: .v12, stateSets: [forkA, forkB], source: room.source)
        // The kicks are power events, applied first; a member already kicked may not leave again.
        #expect(resolved[.member(members[0])] == "$kick-0")
        #expect(resolved[.member(members[999])] == "$kick-999")
        #expect(resolved[.member(members[2_999])] == "$join-user2999")
        #expect(resolved.count == base.count)
    }
}
