import MatrixModel
import Testing

@testable import MatrixRooms

/// The resolver's plumbing, judged by ``plumbingRules`` so that it does not depend on the auth rules.
@Suite("State resolution: the resolver")
struct StateResolverTests {
    let topic = StateKey("m.room.topic", "")

    func resolve(
        _ room: ResolutionRoom, _ stateSets: [StateMap], source: some StateResolutionSource, roomID: String? = nil
    ) async throws -> StateMap {
        try await StateResolver.resolve(
            version: room.version, stateSets: stateSets, source: source, roomID: roomID, authorise: plumbingRules)
    }

    func resolve(_ room: ResolutionRoom, _ stateSets: [StateMap], roomID: String? = nil) async throws -> StateMap {
        try await resolve(room, stateSets, source: room.source, roomID: roomID)
    }

    @Test("Without conflicts the unconflicted state is the answer, and nothing is fetched")
    func noConflict() async throws {
        var room = ResolutionRoom(version: .v11)
        let state = try room.bootstrap()
        let counting = CountingSource(room.source)
        #expect(try await resolve(room, [state, state], source: counting) == state)
        #expect(await counting.calls == 0)
        #expect(try await resolve(room, []) == [:])
    }

    @Test("Conflicting topics resolve to the later one; a denied one never wins", arguments: RoomVersion.supported)
    func topics(version: RoomVersion) async throws {
        var room = ResolutionRoom(version: version)
        let base = try room.bootstrap(members: [ResolutionRoom.bob])
        try room.addState("$t1", sender: ResolutionRoom.alice, type: "m.room.topic", state: base, prev: [], ts: 100)
        try room.addState("$t2", sender: ResolutionRoom.bob, type: "m.room.topic", state: base, prev: [], ts: 200)
        try room.addState(
            "$t3", sender: ResolutionRoom.bob, type: "m.room.topic", content: ["deny": true], state: base, prev: [],
            ts: 300)
        let sets = ["$t1", "$t2", "$t3"].map { room.stateAfter($0, before: base) }
        let resolved = try await resolve(room, sets)
        #expect(resolved[topic] == "$t2")
        #expect(resolved.filter { $0.key != topic } == base)
    }

    @Test("A key missing from one state set is resolved, not dropped", arguments: RoomVersion.supported)
    func missingKey(version: RoomVersion) async throws {
        var room = ResolutionRoom(version: version)
        let base = try room.bootstrap(members: [ResolutionRoom.bob])
        try room.addState("$t1", sender: ResolutionRoom.alice, type: "m.room.topic", state: base, prev: [])
        let resolved = try await resolve(room, [room.stateAfter("$t1", before: base), base])
        #expect(resolved[topic] == "$t1")
    }

    @Test("Conflicted events the source lacks, or from another room, are left out", arguments: RoomVersion.supported)
    func unknownAndForeignEvents(version: RoomVersion) async throws {
        var room = ResolutionRoom(version: version)
        let base = try room.bootstrap(members: [ResolutionRoom.bob])
        try room.addState("$t1", sender: ResolutionRoom.alice, type: "m.room.topic", state: base, prev: [], ts: 1)
        try room.add(
            "$foreign", sender: ResolutionRoom.bob, type: "m.room.topic", stateKey: "", auth: [], ts: 9,
            roomID: "!elsewhere:example.com")
        var withMissing = base
        withMissing[topic] = "$missing"
        let sets = [room.stateAfter("$t1", before: base), room.stateAfter("$foreign", before: base), withMissing]
        #expect(try await resolve(room, sets)[topic] == "$t1")
        // With the room given, the same holds.
        #expect(try await resolve(room, sets, roomID: room.roomID)[topic] == "$t1")
    }

    @Test("Unconflicted events stay even if the source lacks them")
    func unconflictedKeptAsGiven() async throws {
        var room = ResolutionRoom(version: .v11)
        var base = try room.bootstrap(members: [ResolutionRoom.bob])
        base[StateKey("m.room.name", "")] = "$never-seen"
        try room.addState("$t1", sender: ResolutionRoom.alice, type: "m.room.topic", state: base, prev: [])
        let resolved = try await resolve(room, [room.stateAfter("$t1", before: base), base])
        #expect(resolved[StateKey("m.room.name", "")] == "$never-seen")
    }

    /// Bob is banned in every state set; one fork has a power event of his that only a ban stops.
    /// v2 judges it against the unconflicted state (the ban); v2.1 starts from an empty state, so the
    /// event's own auth events (Bob's join) stand for his membership (MSC4297).
    @Test("v2 starts the power events' checks from the unconflicted state; v2.1 from an empty map")
    func initialState() async throws {
        for version in [RoomVersion.v11, .v12] {
            var room = ResolutionRoom(version: version)
            let base = try room.bootstrap(members: [ResolutionRoom.bob], powerLevels: [ResolutionRoom.bob: 50])
            // Bob's power event, cut from the state before his ban.
            try room.addState(
                "$bob-jr", sender: ResolutionRoom.bob, type: EventType.joinRules,
                content: ["join_rule": "invite", "deny_if_banned": true], state: base, prev: [])
            try room.addState(
                "$ban-bob", sender: ResolutionRoom.alice, type: EventType.member, stateKey: ResolutionRoom.bob,
                content: ["membership": "ban"], state: base, prev: [])
            let banned = room.stateAfter("$ban-bob", before: base)
            let resolved = try await resolve(room, [room.stateAfter("$bob-jr", before: banned), banned])
            #expect(resolved[.member(ResolutionRoom.bob)] == "$ban-bob")
            #expect(resolved[.joinRules] == (version == .v12 ? "$bob-jr" : "$join-rules"), "\(version)")
        }
    }

    @Test("Rejected auth events are not used; rejected conflicted events are judged afresh")
    func rejectedEvents() async throws {
        var room = ResolutionRoom(version: .v12)
        let base = try room.bootstrap(members: [ResolutionRoom.bob])
        let ban = try room.addState(
            "$ban-bob", sender: ResolutionRoom.alice, type: EventType.member, stateKey: ResolutionRoom.bob,
            content: ["membership": "ban"], state: base, prev: [])
        let banned = room.stateAfter(ban.eventID, before: base)
        try room.addState(
            "$bob-jr", sender: ResolutionRoom.bob, type: EventType.joinRules,
            content: ["join_rule": "invite", "deny_if_banned": true], state: banned, prev: [])
        let sets = [room.stateAfter("$bob-jr", before: banned), base]
        let events = room.order.compactMap { room.events[$0] }
        // The ban is conflicted (one set lacks it), sorted first and applied: Bob's event is denied.
        #expect(try await resolve(room, sets, source: InMemoryEvents(events))[.joinRules] == "$join-rules")
        // With the ban rejected, it is still judged afresh and applied (the spec: a rejection
        // against the state at an event does not carry into resolution), but it can no longer stand
        // as an auth event for anyone, so Bob's event passes.
        let resolved = try await resolve(room, sets, source: InMemoryEvents(events, rejected: ["$ban-bob"]))
        #expect(resolved[.member(ResolutionRoom.bob)] == "$ban-bob")
        #expect(resolved[.joinRules] == "$bob-jr")
    }

    @Test("A big room resolves with a handful of fetches, the same as from memory")
    func batching() async throws {
        var room = ResolutionRoom(version: .v12)
        let members = (0..<300).map { "@user\($0):example.com" }
        let base = try room.bootstrap(members: members)
        var forks: [StateMap] = []
        for (index, member) in members.prefix(40).enumerated() {
            let id = "$leave-\(index)"
            try room.addState(
                id, sender: member, type: EventType.member, stateKey: member, content: ["membership": "leave"],
                state: base, prev: [])
            forks.append(room.stateAfter(id, before: base))
        }
        try room.addState(
            "$kick", sender: ResolutionRoom.alice, type: EventType.member, stateKey: members[300 - 1],
            content: ["membership": "leave"], state: base, prev: [])
        forks.append(room.stateAfter("$kick", before: base))
        let counting = CountingSource(room.source)
        let batched = try await resolve(room, forks, source: counting)
        #expect(batched == (try await resolve(room, forks)))
        #expect(batched[.member(members[0])] == "$leave-0")
        #expect(batched[.member(members[300 - 1])] == "$kick")
        let calls = await counting.calls
        #expect(calls < 30, "\(calls) fetches")
    }
}
