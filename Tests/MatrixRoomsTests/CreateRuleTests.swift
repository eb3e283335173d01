import MatrixModel
import MatrixRooms
import Testing

/// Rule 1 (the create event) and rules 2–4 (the auth events list, m.federate).
@Suite("Auth rules: create event and auth events")
struct CreateRuleTests {
    func create(_ version: RoomVersion, _ changes: (inout JSONObject) -> Void = { _ in }) throws -> PDU {
        var object: JSONObject = [
            "type": "m.room.create", "state_key": "", "sender": "@alice:a.test",
            "content": ["room_version": .string(version.identifier), "creator": "@alice:a.test"],
            "origin_server_ts": 1, "depth": 1, "prev_events": [], "auth_events": [], "hashes": [:],
            "signatures": [:],
        ]
        if !version.roomIDIsCreateEventHash { object["room_id"] = "!r:a.test" }
        changes(&object)
        return try PDU(parsing: object, roomVersion: version)
    }

    @Test("A well-formed create event is allowed", arguments: RoomVersion.supported)
    func allowed(_ version: RoomVersion) throws {
        #expect(AuthRules.check(try create(version), state: [:]) == .allowed)
    }

    @Test("A create event with prev_events is rejected", arguments: RoomVersion.supported)
    func prevEvents(_ version: RoomVersion) throws {
        #expect(!AuthRules.check(try create(version) { $0["prev_events"] = ["$x"] }, state: [:]).isAllowed)
    }

    @Test("Before v12 the room ID's server must be the sender's", arguments: [RoomVersion.v10, .v11])
    func roomServer(_ version: RoomVersion) throws {
        #expect(!AuthRules.check(try create(version) { $0["room_id"] = "!r:b.test" }, state: [:]).isAllowed)
    }

    @Test("A v12 create event with a room_id is rejected; without one its room ID is its hash")
    func v12RoomID() throws {
        #expect(!AuthRules.check(try create(.v12) { $0["room_id"] = "!r:a.test" }, state: [:]).isAllowed)
        let event = try create(.v12)
        #expect(event.roomID == "!" + event.eventID.dropFirst())
    }

    @Test("An unrecognised content.room_version is rejected; an old recognised one is not")
    func roomVersionContent() throws {
        #expect(!AuthRules.check(try create(.v11) { $0["content"]?["room_version"] = "99" }, state: [:]).isAllowed)
        #expect(!AuthRules.check(try create(.v11) { $0["content"]?["room_version"] = 11 }, state: [:]).isAllowed)
        #expect(AuthRules.check(try create(.v11) { $0["content"]?["room_version"] = "9" }, state: [:]).isAllowed)
    }

    @Test("v10 needs content.creator; v11 and v12 do not")
    func creatorContent() throws {
        #expect(!AuthRules.check(try create(.v10) { $0["content"]?["creator"] = nil }, state: [:]).isAllowed)
        #expect(AuthRules.check(try create(.v11) { $0["content"]?["creator"] = nil }, state: [:]).isAllowed)
        #expect(AuthRules.check(try create(.v12) { $0["content"]?["creator"] = nil }, state: [:]).isAllowed)
    }

    @Test("v12 additional_creators must be an array of user IDs")
    func additionalCreators() throws {
        #expect(
            AuthRules.check(try create(.v12) { $0["content"]?["additional_creators"] = ["@bob:b.test"] }, state: [:])
                .isAllowed)
        #expect(
            !AuthRules.check(try create(.v12) { $0["content"]?["additional_creators"] = "@bob:b.test" }, state: [:])
                .isAllowed)
        #expect(
            !AuthRules.check(try create(.v12) { $0["content"]?["additional_creators"] = ["bob"] }, state: [:])
                .isAllowed)
        #expect(
            !AuthRules.check(try create(.v12) { $0["content"]?["additional_creators"] = [1] }, state: [:]).isAllowed)
    }

    @Test("v12: an event whose room ID names no known create event is rejected")
    func v12RoomIDMustNameCreate() throws {
        var room = try TestRoom(version: .v12)
        let event = try room.event("m.room.message", sender: TestRoom.alice, extra: ["room_id": "!notthecreate"])
        #expect(!room.check(event).isAllowed)
        #expect(room.check(try room.event("m.room.message", sender: TestRoom.alice)).isAllowed)
    }

    @Test("v12: listing the create event in auth_events is rejected; v11 requires it")
    func v12CreateNotListed() throws {
        var v12 = try TestRoom(version: .v12)
        let createID = try #require(v12.state[.create]?.eventID)
        let listed = try v12.event(
            "m.room.message", sender: TestRoom.alice,
            authEvents: [createID, v12.state[.powerLevels]!.eventID, v12.state[.member(TestRoom.alice)]!.eventID])
        #expect(!v12.check(listed).isAllowed)

        var v11 = try TestRoom(version: .v11)
        let unlisted = try v11.event(
            "m.room.message", sender: TestRoom.alice,
            authEvents: [v11.state[.powerLevels]!.eventID, v11.state[.member(TestRoom.alice)]!.eventID])
        #expect(!v11.check(unlisted).isAllowed)
    }

    @Test(
        "Duplicate keys, unexpected keys, unknown and rejected auth events are refused",
        arguments: RoomVersion.supported)
    func authEventList(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version)
        let good = try room.event("m.room.message", sender: TestRoom.alice)
        #expect(room.check(good).isAllowed)
        // Unexpected: join rules are not an auth event of a message.
        let unexpected = try room.event(
            "m.room.message", sender: TestRoom.alice, authEvents: good.authEvents + [room.state[.joinRules]!.eventID])
        #expect(!room.check(unexpected).isAllowed)
        // Duplicate: two power-levels events.
        let oldLevels = try #require(room.state[.powerLevels])
        try room.apply(
            try room.event(EventType.powerLevels, stateKey: "", sender: TestRoom.alice, content: oldLevels.content))
        let duplicate = try room.event(
            "m.room.message", sender: TestRoom.alice, authEvents: good.authEvents + [room.state[.powerLevels]!.eventID])
        var known = Dictionary(room.state.values.map { ($0.eventID, $0) }) { first, _ in first }
        known[oldLevels.eventID] = oldLevels
        #expect(!PDUChecks.againstAuthEvents(duplicate, authEvents: known).isAllowed)
        // Unknown.
        let unknown = try room.event("m.room.message", sender: TestRoom.alice, authEvents: good.authEvents + ["$nope"])
        #expect(!room.check(unknown).isAllowed)
        // Rejected.
        let member = try #require(room.state[.member(TestRoom.alice)])
        #expect(!PDUChecks.againstAuthEvents(good, authEvents: known, rejected: [member.eventID]).isAllowed)
    }

    @Test("Auth events from another room are refused (MSC4307)", arguments: RoomVersion.supported)
    func otherRoom(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version)
        var other = try TestRoom(version: version, createContent: ["other": true], name: "other")
        let foreignLevels = try #require(other.state[.powerLevels])
        let member = try #require(room.state[.member(TestRoom.alice)])
        var ids = [member.eventID, foreignLevels.eventID]
        if version.createEventInAuthEvents { ids.append(room.state[.create]!.eventID) }
        let event = try room.event("m.room.message", sender: TestRoom.alice, authEvents: ids)
        var known = Dictionary(room.state.values.map { ($0.eventID, $0) }) { first, _ in first }
        known[foreignLevels.eventID] = foreignLevels
        #expect(!PDUChecks.againstAuthEvents(event, authEvents: known).isAllowed)
        _ = try other.event("m.room.message", sender: TestRoom.alice)
    }

    @Test("Without a create event in the auth events, an event is rejected", arguments: [RoomVersion.v10, .v11])
    func noCreate(_ version: RoomVersion) throws {
        var room = try TestRoom(version: version)
        let event = try room.event(
            "m.room.message", sender: TestRoom.alice,
            authEvents: [room.state[.powerLevels]!.eventID, room.state[.member(TestRoom.alice)]!.eventID])
        #expect(!room.check(event).isAllowed)
    }

    @Test(
        "m.federate false refuses other servers' events, not the creator's server's", arguments: RoomVersion.supported)
    func federate(_ version: RoomVersion) throws {
        var closed = try TestRoom(version: version, createContent: ["m.federate": false])
        #expect(!closed.check(try closed.member(TestRoom.bob, "join")).isAllowed)
        #expect(closed.check(try closed.member("@dave:a.test", "join")).isAllowed)
        // Synapse also refuses a member event about another server's user, even from the creator's server.
        #expect(!closed.check(try closed.member(TestRoom.bob, "invite", sender: TestRoom.alice)).isAllowed)
        #expect(closed.check(try closed.member("@dave:a.test", "invite", sender: TestRoom.alice)).isAllowed)
        var open = try TestRoom(version: version, createContent: ["m.federate": true])
        #expect(open.check(try open.member(TestRoom.bob, "join")).isAllowed)
    }
}
