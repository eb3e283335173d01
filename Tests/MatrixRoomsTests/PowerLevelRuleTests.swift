import MatrixModel
import MatrixRooms
import Testing

/// Rules 6–10: events other than membership, and what power-levels events may change.
@Suite("Auth rules: power levels and other events")
struct PowerLevelRuleTests {
    static let versions = RoomVersion.supported
    let alice = TestRoom.alice
    let bob = TestRoom.bob

    @Test("Senders must be joined; levels gate event types; @ state keys are the sender's", arguments: versions)
    func eventRules(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version, users: [bob: 10], powerLevels: ["events": ["m.room.topic": 5]])
        #expect(!room.check(try room.event("m.room.message", sender: bob)).isAllowed, "not joined")
        try room.join(bob)
        #expect(room.check(try room.event("m.room.message", sender: bob)).isAllowed)
        #expect(room.check(try room.event("m.room.topic", stateKey: "", sender: bob)).isAllowed, "events override")
        #expect(!room.check(try room.event("m.room.name", stateKey: "", sender: bob)).isAllowed, "state_default 50")
        #expect(room.check(try room.event("x.y", stateKey: alice, sender: alice)).isAllowed, "own @ key")
        #expect(!room.check(try room.event("x.y", stateKey: bob, sender: alice)).isAllowed, "someone else's @ key")
    }

    @Test("Without a power-levels event state needs 50 and only the creator has 100", arguments: versions)
    func noPowerLevels(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version)
        let create = try #require(room.state[.create])
        let aliceJoin = try #require(room.state[.member(alice)])
        var state: [StateKey: PDU] = [.create: create, .member(alice): aliceJoin]
        #expect(AuthRules.check(try room.event("m.room.name", stateKey: "", sender: alice), state: state).isAllowed)
        state[.member(bob)] = try room.member(bob, "join")
        #expect(AuthRules.check(try room.event("m.room.message", sender: bob), state: state).isAllowed)
        #expect(!AuthRules.check(try room.event("m.room.name", stateKey: "", sender: bob), state: state).isAllowed)
    }

    @Test("m.room.third_party_invite needs the invite level", arguments: versions)
    func thirdPartyInviteEvent(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version, users: [bob: 10], powerLevels: ["invite": 20])
        try room.join(bob)
        #expect(!room.check(try room.event(EventType.thirdPartyInvite, stateKey: "t", sender: bob)).isAllowed)
        #expect(room.check(try room.event(EventType.thirdPartyInvite, stateKey: "t", sender: alice)).isAllowed)
    }

    func levels(_ room: inout TestRoom, _ content: JSONObject, sender: String? = nil) throws -> AuthDecision {
        room.check(try room.event(EventType.powerLevels, stateKey: "", sender: sender ?? alice, content: content))
    }

    @Test("Power levels must be integers, users valid user IDs", arguments: versions)
    func shapes(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version)
        let own: JSONObject = version.creatorsHaveInfinitePower ? [:] : [alice: 100]
        #expect(try levels(&room, ["users": .object(own), "ban": 50]).isAllowed)
        #expect(!(try levels(&room, ["users": .object(own), "ban": "50"]).isAllowed))
        #expect(!(try levels(&room, ["users": .object(own), "events": ["m.room.name": "50"]]).isAllowed))
        #expect(!(try levels(&room, ["users": .object(own), "notifications": ["room": true]]).isAllowed))
        #expect(!(try levels(&room, ["users": .object(own), "events": 5]).isAllowed))
        var badUsers = own
        badUsers["not-a-user"] = 10
        #expect(!(try levels(&room, ["users": .object(badUsers)]).isAllowed))
    }

    @Test("Changes above one's own level are refused; one's own entry may drop", arguments: versions)
    func changes(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version, users: [bob: 50, TestRoom.carol: 50], powerLevels: ["kick": 60])
        try room.join(bob)
        func users(_ entries: JSONObject) -> JSONObject {
            var all: JSONObject = version.creatorsHaveInfinitePower ? [:] : [alice: 100]
            for (key, value) in entries { all[key] = value }
            return all
        }
        let base: JSONObject = ["users": .object(users([bob: 50, TestRoom.carol: 50])), "kick": 60]
        func with(_ key: String, _ value: JSONValue?) -> JSONObject {
            var content = base
            content[key] = value
            return content
        }
        // Bob (50) may not touch kick (60), in either direction, nor set ban above 50.
        #expect(!(try levels(&room, with("kick", 40), sender: bob).isAllowed))
        #expect(!(try levels(&room, with("kick", nil), sender: bob).isAllowed))
        #expect(!(try levels(&room, with("ban", 51), sender: bob).isAllowed))
        #expect(try levels(&room, with("ban", 50), sender: bob).isAllowed)
        // events entries.
        #expect(!(try levels(&room, with("events", ["m.room.name": 70]), sender: bob).isAllowed))
        #expect(try levels(&room, with("events", ["m.room.name": 40]), sender: bob).isAllowed)
        // users: carol (50, equal to bob) may not be changed by bob; bob may lower himself.
        #expect(
            !(try levels(&room, with("users", .object(users([bob: 50, TestRoom.carol: 10]))), sender: bob).isAllowed))
        #expect(try levels(&room, with("users", .object(users([bob: 20, TestRoom.carol: 50]))), sender: bob).isAllowed)
        #expect(
            !(try levels(&room, with("users", .object(users([bob: 60, TestRoom.carol: 50]))), sender: bob).isAllowed))
        #expect(
            try levels(
                &room, with("users", .object(users([bob: 50, TestRoom.carol: 50, "@new:n.test": 50]))), sender: bob
            )
            .isAllowed)
        #expect(
            try levels(&room, with("users", .object(users([bob: 5, TestRoom.carol: 50]))), sender: alice).isAllowed)
    }
}

/// Room version 12's creators (MSC4289).
@Suite("Auth rules: v12 creators")
struct CreatorPowerTests {
    @Test("Creators have infinite power: nobody can kick or ban them, they can act on anyone")
    func infinitePower() throws {
        var room = try TestRoom(
            version: .v12, users: [TestRoom.bob: 100], createContent: ["additional_creators": [.string(TestRoom.carol)]]
        )
        try room.join(TestRoom.bob)
        try room.join(TestRoom.carol)
        #expect(!room.check(try room.member(TestRoom.alice, "ban", sender: TestRoom.bob)).isAllowed)
        #expect(
            !room.check(try room.member(TestRoom.carol, "leave", sender: TestRoom.alice)).isAllowed,
            "creators are equal")
        #expect(room.check(try room.member(TestRoom.bob, "ban", sender: TestRoom.carol)).isAllowed)
        let levels = PowerLevels(state: room.state, version: .v12)
        #expect(levels.level(of: TestRoom.carol) == PowerLevels.infinite)
        #expect(levels.level(of: TestRoom.bob) == 100)
    }

    @Test("Creators may not be listed in power levels' users")
    func creatorsNotListed() throws {
        var room = try TestRoom(version: .v12, createContent: ["additional_creators": [.string(TestRoom.carol)]])
        for creator in [TestRoom.alice, TestRoom.carol] {
            let event = try room.event(
                EventType.powerLevels, stateKey: "", sender: TestRoom.alice, content: ["users": [creator: 100]])
            #expect(!room.check(event).isAllowed)
        }
        #expect(
            room.check(
                try room.event(
                    EventType.powerLevels, stateKey: "", sender: TestRoom.alice, content: ["users": [TestRoom.bob: 100]]
                )
            ).isAllowed)
    }

    @Test("Before v12 the creator is an ordinary user once power levels exist")
    func v11CreatorIsOrdinary() throws {
        var room = try TestRoom(version: .v11, users: [TestRoom.alice: 100, TestRoom.bob: 100])
        try room.join(TestRoom.bob)
        #expect(!room.check(try room.member(TestRoom.alice, "ban", sender: TestRoom.bob)).isAllowed, "equal levels")
        #expect(PowerLevels(state: room.state, version: .v11).level(of: TestRoom.alice) == 100)
    }
}
