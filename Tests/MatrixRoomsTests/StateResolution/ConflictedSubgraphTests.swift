import Testing

@testable import MatrixRooms

@Suite("State resolution v2.1: the conflicted state subgraph")
struct ConflictedSubgraphTests {
    /// $top → $mid → $low → $root, $side → $root, $top → $side2 (each arrow an auth event).
    let graph: [String: [String]] = [
        "$top": ["$mid", "$side2"], "$mid": ["$low"], "$low": ["$root"], "$side": ["$root"], "$side2": [],
        "$root": [],
    ]

    @Test("Events on an auth path between two conflicted events join; events off every such path do not")
    func pathsBetweenConflictedEvents() {
        let subgraph = ConflictedSubgraph.of(conflicted: ["$top", "$low"]) { graph[$0] ?? [] }
        #expect(subgraph == ["$top", "$mid", "$low"])
    }

    @Test("Conflicted events with no path between them are the whole subgraph")
    func noPath() {
        #expect(ConflictedSubgraph.of(conflicted: ["$side", "$side2"]) { graph[$0] ?? [] } == ["$side", "$side2"])
    }

    @Test("A cycle, which no valid auth graph has, ends the walk instead of hanging it")
    func cycle() {
        let cyclic: [String: [String]] = ["$a": ["$b"], "$b": ["$a", "$c"], "$c": []]
        let subgraph = ConflictedSubgraph.of(conflicted: ["$a", "$c"]) { cyclic[$0] ?? [] }
        #expect(subgraph.isSuperset(of: ["$a", "$c"]))
    }

    @Test("The protocol's default subgraph matches the direct computation on a room")
    func defaultSubgraph() async throws {
        var room = ResolutionRoom(version: .v12)
        _ = try room.bootstrap(members: [ResolutionRoom.bob])
        let source = CountingSource(room.source)
        let subgraph = try await source.conflictedSubgraph(of: ["$join-bob", "$join-alice"])
        // Bob's join cites the power levels and join rules, which cite Alice's join.
        #expect(subgraph == ["$join-bob", "$pl", "$join-rules", "$join-alice"])
    }
}
