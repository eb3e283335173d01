import MatrixModel
import MatrixRooms
import Testing

/// Rule 5: every branch of the membership rules, in each supported version.
@Suite("Auth rules: membership")
struct MembershipRuleTests {
    static let versions = RoomVersion.supported
    let alice = TestRoom.alice
    let bob = TestRoom.bob
    let carol = TestRoom.carol

    @Test("A member event needs a string membership", arguments: versions)
    func membershipRequired(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version)
        #expect(!room.check(try room.event(EventType.member, stateKey: bob, sender: bob)).isAllowed)
        #expect(
            !room.check(try room.event(EventType.member, stateKey: bob, sender: bob, content: ["membership": 1]))
                .isAllowed)
        #expect(!room.check(try room.member(bob, "dance")).isAllowed)
    }

    @Test("Only the creator's join may follow the create event directly", arguments: versions)
    func creatorFirstJoin(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version)
        let createID = try #require(room.state[.create]?.eventID)
        let powerless = Dictionary(room.state.values.filter { $0.type == EventType.create }.map { ($0.eventID, $0) }) {
            first, _ in first
        }
        func firstJoin(_ user: String) throws -> PDU {
            try room.event(
                EventType.member, stateKey: user, sender: user, content: ["membership": "join"],
                authEvents: version.createEventInAuthEvents ? [createID] : [], prevEvents: [createID])
        }
        #expect(PDUChecks.againstAuthEvents(try firstJoin(alice), authEvents: powerless).isAllowed)
        #expect(!PDUChecks.againstAuthEvents(try firstJoin(bob), authEvents: powerless).isAllowed)
    }

    @Test("Joins: only oneself, never when banned, by the join rule", arguments: versions)
    func joins(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version)
        #expect(room.check(try room.member(bob, "join")).isAllowed)
        #expect(!room.check(try room.member(bob, "join", sender: alice)).isAllowed)
        try room.apply(try room.member(bob, "ban", sender: alice))
        #expect(!room.check(try room.member(bob, "join")).isAllowed)

        var privateRoom = try TestRoom(version: version, joinRule: "private")
        #expect(!privateRoom.check(try privateRoom.member(bob, "join")).isAllowed)
    }

    @Test("invite and knock join rules admit the invited and the joined only", arguments: versions)
    func inviteOnly(_ version: RoomVersion) throws {
        for rule in ["invite", "knock"] {
            var room = try TestRoom(version: version, joinRule: rule)
            #expect(!room.check(try room.member(bob, "join")).isAllowed)
            try room.apply(try room.member(bob, "invite", sender: alice))
            #expect(room.check(try room.member(bob, "join")).isAllowed)
            try room.apply(try room.member(bob, "join"))
            #expect(room.check(try room.member(bob, "join", content: ["displayname": "B"])).isAllowed)
        }
    }

    @Test("Restricted joins need a joined authoriser who may invite, and its server's signature", arguments: versions)
    func restricted(_ version: RoomVersion) throws {
        for rule in ["restricted", "knock_restricted"] {
            var room = try TestRoom(version: version, joinRule: rule, users: [carol: 0], powerLevels: ["invite": 50])
            #expect(!room.check(try room.member(bob, "join")).isAllowed, "no authoriser")
            let viaAlice: JSONObject = ["join_authorised_via_users_server": .string(alice)]
            var signedByBoth = try room.member(bob, "join", content: viaAlice)
            #expect(!room.check(signedByBoth).isAllowed, "only bob's server signed")
            signedByBoth = try room.event(
                EventType.member, stateKey: bob, sender: bob,
                content: ["membership": "join", "join_authorised_via_users_server": .string(alice)],
                extra: ["signatures": ["b.test": ["ed25519:k": "x"], "a.test": ["ed25519:k": "x"]]])
            #expect(room.check(signedByBoth).isAllowed)
            // Carol is joined but at level 0 < invite 50.
            try room.apply(try room.member(carol, "invite", sender: alice))
            try room.apply(try room.member(carol, "join"))
            let viaCarol = try room.event(
                EventType.member, stateKey: bob, sender: bob,
                content: ["membership": "join", "join_authorised_via_users_server": .string(carol)],
                extra: ["signatures": ["b.test": ["ed25519:k": "x"], "c.test": ["ed25519:k": "x"]]])
            #expect(!room.check(viaCarol).isAllowed)
            // Dave (not joined) as authoriser.
            let viaDave = try room.event(
                EventType.member, stateKey: bob, sender: bob,
                content: ["membership": "join", "join_authorised_via_users_server": "@dave:d.test"],
                extra: ["signatures": ["b.test": ["ed25519:k": "x"], "d.test": ["ed25519:k": "x"]]])
            #expect(!room.check(viaDave).isAllowed)
            // The invited join without an authoriser.
            try room.apply(try room.member(bob, "invite", sender: alice))
            #expect(room.check(try room.member(bob, "join")).isAllowed)
        }
    }

    @Test("Invites: sender joined, target neither joined nor banned, sender at the invite level", arguments: versions)
    func invites(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version, users: [carol: 10], powerLevels: ["invite": 20])
        #expect(!room.check(try room.member(carol, "invite", sender: bob)).isAllowed, "bob is not joined")
        #expect(room.check(try room.member(bob, "invite", sender: alice)).isAllowed)
        try room.join(carol)
        #expect(!room.check(try room.member(bob, "invite", sender: carol)).isAllowed, "carol is below the invite level")
        #expect(!room.check(try room.member(carol, "invite", sender: alice)).isAllowed, "carol is already joined")
        try room.apply(try room.member(bob, "ban", sender: alice))
        #expect(!room.check(try room.member(bob, "invite", sender: alice)).isAllowed, "bob is banned")
    }

    @Test("Leaving oneself works from invite, join and knock only", arguments: versions)
    func selfLeave(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version, joinRule: "knock")
        #expect(!room.check(try room.member(bob, "leave")).isAllowed, "never in the room")
        try room.apply(try room.member(bob, "knock"))
        #expect(room.check(try room.member(bob, "leave")).isAllowed)
        try room.apply(try room.member(bob, "invite", sender: alice))
        #expect(room.check(try room.member(bob, "leave")).isAllowed)
        try room.apply(try room.member(bob, "join"))
        #expect(room.check(try room.member(bob, "leave")).isAllowed)
        try room.apply(try room.member(bob, "ban", sender: alice))
        #expect(!room.check(try room.member(bob, "leave")).isAllowed, "banned")
    }

    @Test("Kicks need the kick level and a higher level than the target; unbans the ban level", arguments: versions)
    func kicksAndUnbans(_ version: RoomVersion) throws {
        var room = try TestRoom(
            version: version, users: [bob: 50, carol: 50], powerLevels: ["kick": 40, "ban": 60])
        try room.join(bob)
        try room.join(carol)
        #expect(!room.check(try room.member(carol, "leave", sender: bob)).isAllowed, "equal levels")
        #expect(room.check(try room.member(bob, "leave", sender: alice)).isAllowed)
        #expect(!room.check(try room.member(alice, "leave", sender: "@eve:e.test")).isAllowed, "eve is not joined")
        try room.apply(try room.member("@eve:e.test", "ban", sender: alice))
        #expect(
            !room.check(try room.member("@eve:e.test", "leave", sender: bob)).isAllowed, "bob is below the ban level")
        #expect(room.check(try room.member("@eve:e.test", "leave", sender: alice)).isAllowed)
    }

    @Test("Bans need a joined sender at the ban level above the target", arguments: versions)
    func bans(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version, users: [bob: 50, carol: 50])
        try room.join(bob)
        #expect(!room.check(try room.member(bob, "ban", sender: carol)).isAllowed, "carol is not joined")
        try room.join(carol)
        #expect(!room.check(try room.member(bob, "ban", sender: carol)).isAllowed, "equal levels")
        #expect(room.check(try room.member(bob, "ban", sender: alice)).isAllowed)
        #expect(room.check(try room.member("@eve:e.test", "ban", sender: alice)).isAllowed, "banning a stranger")
    }

    @Test("Knocks: only under knock rules, only for oneself, not when invited, joined or banned", arguments: versions)
    func knocks(_ version: RoomVersion) throws {
        var publicRoom = try TestRoom(version: version)
        #expect(!publicRoom.check(try publicRoom.member(bob, "knock")).isAllowed)
        for rule in ["knock", "knock_restricted"] {
            var room = try TestRoom(version: version, joinRule: rule)
            #expect(room.check(try room.member(bob, "knock")).isAllowed)
            #expect(!room.check(try room.member(bob, "knock", sender: alice)).isAllowed)
            try room.apply(try room.member(bob, "invite", sender: alice))
            #expect(!room.check(try room.member(bob, "knock")).isAllowed)
            try room.apply(try room.member(bob, "join"))
            #expect(!room.check(try room.member(bob, "knock")).isAllowed)
            try room.apply(try room.member(bob, "ban", sender: alice))
            #expect(!room.check(try room.member(bob, "knock")).isAllowed)
        }
    }
}
