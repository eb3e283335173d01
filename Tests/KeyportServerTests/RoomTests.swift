import Hummingbird
import MatrixModel
import Testing

/// Local rooms over HTTP: creation, membership, state, events and `/messages`.
@Suite struct RoomTests {
    // MARK: - createRoom

    @Test func createRoomReturnsARoomIDAndPresetsSetJoinRulesAndPowerLevels() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let carol = try await client.register("carol")

            for version in ["10", "11"] {
                let publicRoom = try await client.createRoom(
                    alice, ["preset": "public_chat", "room_version": .string(version)])
                #expect(publicRoom.hasPrefix("!"))
                #expect(publicRoom.hasSuffix(":test.local"), "before v12 the room ID names the server")
                let privateRoom = try await client.createRoom(
                    alice, ["preset": "private_chat", "room_version": .string(version)])
                let trusted = try await client.createRoom(
                    alice,
                    [
                        "preset": "trusted_private_chat", "invite": [.string(bob.userID)],
                        "room_version": .string(version),
                    ])
                #expect(Set([publicRoom, privateRoom, trusted]).count == 3)
                for (room, rule) in [(publicRoom, "public"), (privateRoom, "invite"), (trusted, "invite")] {
                    let rules = try await client.client(
                        .get, "/rooms/\(room)/state/m.room.join_rules", token: alice.token)
                    #expect(rules.status == 200)
                    #expect(rules["join_rule"] == .string(rule), "\(room): \(rules.body)")
                    let power = try await client.client(
                        .get, "/rooms/\(room)/state/m.room.power_levels/", token: alice.token)
                    #expect(power.status == 200)
                    #expect(power["users"]?[alice.userID] == 100)
                    let create = try await client.client(.get, "/rooms/\(room)/state/m.room.create", token: alice.token)
                    #expect(create["room_version"] == .string(version))
                    // v11 (MSC2175): the creator is the sender; content.creator is gone.
                    #expect(create["creator"] == (version == "10" ? .string(alice.userID) : nil))
                }
                let trustedPower = try await client.client(
                    .get, "/rooms/\(trusted)/state/m.room.power_levels", token: alice.token)
                #expect(trustedPower["users"]?[bob.userID] == 100)
                #expect(trustedPower["users"]?[carol.userID] == nil)
            }

            // The default is v12: the room ID is the create event's hash, creators are not listed in
            // power levels, and a trusted private chat's invitees are additional creators.
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            #expect(room.hasPrefix("!") && !room.contains(":"))
            let create = try await client.client(.get, "/rooms/\(room)/state/m.room.create", token: alice.token)
            #expect(create["room_version"] == "12")
            #expect(create["creator"] == nil)
            let timeline = try await client.client(
                .get, "/rooms/\(room)/messages?dir=f&limit=1", token: alice.token)
            let first = try #require(timeline["chunk"]?.arrayValue?.first)
            let createID = try #require(first["event_id"]?.stringValue)
            #expect(first["type"] == "m.room.create")
            // `format=event` gives the whole event, as Synapse does (bridges read the create event so).
            let createEvent = try await client.client(
                .get, "/rooms/\(room)/state/m.room.create/?format=event", token: alice.token)
            #expect(createEvent["event_id"] == .string(createID), "\(createEvent.body)")
            #expect(createEvent["type"] == "m.room.create" && createEvent["state_key"] == "")
            #expect(createEvent["room_id"] == .string(room) && createEvent["sender"] == .string(alice.userID))
            #expect(createEvent["content"]?["room_version"] == "12")
            let badFormat = try await client.client(
                .get, "/rooms/\(room)/state/m.room.create?format=xml", token: alice.token)
            #expect(badFormat.status == 400 && badFormat.errcode == "M_INVALID_PARAM")
            #expect(room == "!" + createID.dropFirst(), "the room ID is the create event's ID with ! for $")
            let power = try await client.client(.get, "/rooms/\(room)/state/m.room.power_levels", token: alice.token)
            #expect(power["users"]?[alice.userID] == nil)
            let trusted = try await client.createRoom(
                alice, ["preset": "trusted_private_chat", "invite": [.string(bob.userID)]])
            let trustedCreate = try await client.client(
                .get, "/rooms/\(trusted)/state/m.room.create", token: alice.token)
            #expect(trustedCreate["additional_creators"] == [.string(bob.userID)])
            let trustedPower = try await client.client(
                .get, "/rooms/\(trusted)/state/m.room.power_levels", token: alice.token)
            #expect(trustedPower["users"]?[bob.userID] == nil)

            // A private room's invitee gets no extra power.
            let privateWithInvite = try await client.createRoom(
                alice, ["preset": "private_chat", "invite": [.string(carol.userID)], "room_version": "10"])
            let privatePower = try await client.client(
                .get, "/rooms/\(privateWithInvite)/state/m.room.power_levels", token: alice.token)
            #expect(privatePower["users"]?[carol.userID] == nil)
            #expect(privatePower["users"]?[alice.userID] == 100)

            // visibility public without a preset behaves as public_chat.
            let visible = try await client.createRoom(alice, ["visibility": "public"])
            let visibleRules = try await client.client(
                .get, "/rooms/\(visible)/state/m.room.join_rules", token: alice.token)
            #expect(visibleRules["join_rule"] == "public")

            // Versions before 10 are refused.
            let old = try await client.client(
                .post, "/createRoom", token: alice.token, body: ["room_version": "9"])
            #expect(old.status == 400)
            #expect(old["errcode"] == "M_UNSUPPORTED_ROOM_VERSION")
        }
    }

    @Test func nameTopicAndInitialStateAreVisibleThroughTheStateAPI() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(
                alice,
                [
                    "name": "Secret plans", "topic": "World domination",
                    "initial_state": [
                        [
                            "type": "m.room.encryption", "state_key": "",
                            "content": ["algorithm": "m.megolm.v1.aes-sha2"],
                        ],
                        ["type": "org.example.custom", "state_key": "k1", "content": ["value": 7]],
                    ],
                ])

            let state = try await client.client(.get, "/rooms/\(room)/state", token: alice.token)
            #expect(state.status == 200)
            let events = eventList(state.body)
            let keys = stateKeys(events)
            for expected in [
                "m.room.create|", "m.room.member|\(alice.userID)", "m.room.power_levels|", "m.room.join_rules|",
                "m.room.history_visibility|", "m.room.encryption|", "m.room.name|", "m.room.topic|",
                "org.example.custom|k1",
            ] {
                #expect(keys.contains(expected), "missing \(expected) in \(keys)")
            }
            #expect(events.allSatisfy { $0["room_id"] == .string(room) && $0["event_id"]?.stringValue != nil })
            let name = events.first { $0["type"] == "m.room.name" }
            #expect(name?["content"]?["name"] == "Secret plans")
            #expect(name?["sender"] == .string(alice.userID))

            // Both the empty-state-key forms, with and without the trailing slash.
            let byType = try await client.client(.get, "/rooms/\(room)/state/m.room.name", token: alice.token)
            #expect(byType.status == 200)
            #expect(byType.body == ["name": "Secret plans"])
            let withSlash = try await client.client(.get, "/rooms/\(room)/state/m.room.name/", token: alice.token)
            #expect(withSlash.body == ["name": "Secret plans"])
            let topic = try await client.client(.get, "/rooms/\(room)/state/m.room.topic", token: alice.token)
            #expect(topic["topic"] == "World domination")
            let encryption = try await client.client(
                .get, "/rooms/\(room)/state/m.room.encryption/", token: alice.token)
            #expect(encryption["algorithm"] == "m.megolm.v1.aes-sha2")
            let custom = try await client.client(
                .get, "/rooms/\(room)/state/org.example.custom/k1", token: alice.token)
            #expect(custom.body == ["value": 7])
            let member = try await client.client(
                .get, "/rooms/\(room)/state/m.room.member/\(alice.userID)", token: alice.token)
            #expect(member["membership"] == "join")

            let missing = try await client.client(.get, "/rooms/\(room)/state/m.room.avatar", token: alice.token)
            #expect(missing.status == 404)
            #expect(missing.errcode == "M_NOT_FOUND")
            let wrongKey = try await client.client(
                .get, "/rooms/\(room)/state/org.example.custom/k2", token: alice.token)
            #expect(wrongKey.status == 404)
        }
    }

    @Test func createRoomInvitesAreInviteMembershipsWithIsDirect() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let carol = try await client.register("carol")
            let direct = try await client.createRoom(
                alice, ["preset": "trusted_private_chat", "is_direct": true, "invite": [.string(bob.userID)]])
            let bobMember = try await client.client(
                .get, "/rooms/\(direct)/state/m.room.member/\(bob.userID)", token: alice.token)
            #expect(bobMember.status == 200)
            #expect(bobMember["membership"] == "invite")
            #expect(bobMember["is_direct"] == true)

            let group = try await client.createRoom(alice, ["invite": [.string(bob.userID), .string(carol.userID)]])
            let members = try await client.client(.get, "/rooms/\(group)/members", token: alice.token)
            let chunk = eventList(members["chunk"])
            var memberships: [String: String] = [:]
            for event in chunk {
                if let key = event["state_key"]?.stringValue, let value = event["content"]?["membership"]?.stringValue {
                    memberships[key] = value
                }
            }
            #expect(memberships == [alice.userID: "join", bob.userID: "invite", carol.userID: "invite"])
            let carolMember = chunk.first { $0["state_key"] == .string(carol.userID) }
            #expect(carolMember?["content"]?["is_direct"] == nil)
            #expect(carolMember?["sender"] == .string(alice.userID))

            // Invitees are not joined yet.
            #expect(try await client.joinedRooms(bob).isEmpty)
            #expect(try await client.client(.get, "/rooms/\(group)/state", token: bob.token).status == 403)
        }
    }

    @Test func roomAliasResolvesForJoinAndIsUniqueAndListedAsCanonical() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let created = try await client.client(
                .post, "/createRoom", token: alice.token, body: ["preset": "public_chat", "room_alias_name": "lobby"])
            #expect(created.status == 200)
            let room = try #require(created["room_id"]?.stringValue)

            let joined = try await client.client(
                .post, "/join/\(aliasSegment("#lobby:test.local"))", token: bob.token, body: [:])
            #expect(joined.status == 200, "\(joined.body)")
            #expect(joined["room_id"] == .string(room))
            #expect(try await client.joinedRooms(bob) == [room])
            let canonical = try await client.client(
                .get, "/rooms/\(room)/state/m.room.canonical_alias", token: bob.token)
            #expect(canonical["alias"] == "#lobby:test.local")

            let duplicate = try await client.client(
                .post, "/createRoom", token: bob.token, body: ["room_alias_name": "lobby"])
            #expect(duplicate.status == 400)
            #expect(duplicate.errcode == "M_ROOM_IN_USE")
            // The refused request created no room for bob.
            #expect(try await client.joinedRooms(bob) == [room])

            let unknownAlias = try await client.client(
                .post, "/join/\(aliasSegment("#nowhere:test.local"))", token: bob.token, body: [:])
            #expect(unknownAlias.status == 404)
            #expect(unknownAlias.errcode == "M_NOT_FOUND")
        }
    }

    @Test func createRoomRejectsUnknownPresetsAndRoomVersions() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let preset = try await client.client(
                .post, "/createRoom", token: alice.token, body: ["preset": "everyone_welcome"])
            #expect(preset.status == 400)
            #expect(preset.errcode != nil)
            let version = try await client.client(
                .post, "/createRoom", token: alice.token, body: ["room_version": "999"])
            #expect(version.status == 400)
            #expect(version.errcode == "M_UNSUPPORTED_ROOM_VERSION")
            #expect(try await client.joinedRooms(alice).isEmpty)

            let supported = try await client.client(
                .post, "/createRoom", token: alice.token, body: ["room_version": "11"])
            #expect(supported.status == 200)
            let room = try #require(supported["room_id"]?.stringValue)
            let create = try await client.client(.get, "/rooms/\(room)/state/m.room.create", token: alice.token)
            #expect(create["room_version"] == "11")
        }
    }

    // MARK: - Membership

    @Test func joiningNeedsAnInviteOrAPublicRoom() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let privateRoom = try await client.createRoom(alice, ["preset": "private_chat"])
            let refused = try await client.client(.post, "/join/\(privateRoom)", token: bob.token, body: [:])
            #expect(refused.status == 403)
            #expect(refused.errcode == "M_FORBIDDEN")
            let refusedToo = try await client.client(.post, "/rooms/\(privateRoom)/join", token: bob.token, body: [:])
            #expect(refusedToo.status == 403)
            #expect(try await client.joinedRooms(bob).isEmpty)

            let publicRoom = try await client.createRoom(alice, ["preset": "public_chat"])
            let viaJoin = try await client.client(.post, "/join/\(publicRoom)", token: bob.token, body: [:])
            #expect(viaJoin.status == 200)
            #expect(viaJoin["room_id"] == .string(publicRoom))
            #expect(try await client.joinedRooms(bob) == [publicRoom])
            // Joining again is harmless.
            #expect(try await client.client(.post, "/join/\(publicRoom)", token: bob.token, body: [:]).status == 200)

            let other = try await client.createRoom(alice, ["preset": "public_chat"])
            let viaRooms = try await client.client(.post, "/rooms/\(other)/join", token: bob.token, body: [:])
            #expect(viaRooms.status == 200)
            #expect(viaRooms["room_id"] == .string(other))
            #expect(Set(try await client.joinedRooms(bob)) == [publicRoom, other])

            // With an invite the private room is open.
            try await client.invite(alice, privateRoom, bob)
            #expect(
                try await client.client(.post, "/rooms/\(privateRoom)/join", token: bob.token, body: [:]).status == 200)
            #expect(Set(try await client.joinedRooms(bob)) == [publicRoom, other, privateRoom])
        }
    }

    @Test func joiningAnUnknownRoomIsNotFound() async throws {
        try await TestServer.run { client in
            let bob = try await client.register("bob")
            let first = try await client.client(.post, "/join/!nope:test.local", token: bob.token, body: [:])
            #expect(first.status == 404)
            #expect(first.errcode == "M_NOT_FOUND")
            let second = try await client.client(.post, "/rooms/!nope:test.local/join", token: bob.token, body: [:])
            #expect(second.status == 404)
            #expect(second.errcode == "M_NOT_FOUND")
            let state = try await client.client(.get, "/rooms/!nope:test.local/state", token: bob.token)
            #expect(state.status == 404)
        }
    }

    @Test func invitingNeedsAJoinedInviterAndAKnownUser() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let carol = try await client.register("carol")
            let room = try await client.createRoom(alice, ["preset": "private_chat"])

            let outsider = try await client.client(
                .post, "/rooms/\(room)/invite", token: bob.token, body: ["user_id": .string(carol.userID)])
            #expect(outsider.status == 403)
            #expect(outsider.errcode == "M_FORBIDDEN")
            let carolState = try await client.client(
                .get, "/rooms/\(room)/state/m.room.member/\(carol.userID)", token: alice.token)
            #expect(carolState.status == 404)

            let unknown = try await client.client(
                .post, "/rooms/\(room)/invite", token: alice.token, body: ["user_id": "@ghost:test.local"])
            #expect(unknown.status == 404)
            #expect(unknown.errcode == "M_NOT_FOUND")

            let invalid = try await client.client(
                .post, "/rooms/\(room)/invite", token: alice.token, body: ["user_id": "not-a-user"])
            #expect(invalid.status == 400)

            try await client.invite(alice, room, bob)
            let bobState = try await client.client(
                .get, "/rooms/\(room)/state/m.room.member/\(bob.userID)", token: alice.token)
            #expect(bobState["membership"] == "invite")
            // An invitee cannot invite others until joined.
            let invitee = try await client.client(
                .post, "/rooms/\(room)/invite", token: bob.token, body: ["user_id": .string(carol.userID)])
            #expect(invitee.status == 403)

            try await client.join(bob, room)
            // Once joined (invite level 0), bob can invite carol.
            try await client.invite(bob, room, carol)
            let carolInvited = try await client.client(
                .get, "/rooms/\(room)/state/m.room.member/\(carol.userID)", token: alice.token)
            #expect(carolInvited["membership"] == "invite")
            // Inviting someone already joined is refused.
            let already = try await client.client(
                .post, "/rooms/\(room)/invite", token: alice.token, body: ["user_id": .string(bob.userID)])
            #expect(already.status == 403)
        }
    }

    @Test func leavingRemovesTheRoomFromJoinedRoomsAndHidesState() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            try await client.join(bob, room)
            #expect(try await client.joinedRooms(bob) == [room])
            #expect(try await client.client(.get, "/rooms/\(room)/state", token: bob.token).status == 200)

            try await client.leave(bob, room)
            #expect(try await client.joinedRooms(bob).isEmpty)
            #expect(try await client.joinedRooms(alice) == [room])
            let state = try await client.client(.get, "/rooms/\(room)/state", token: bob.token)
            #expect(state.status == 403)
            #expect(state.errcode == "M_FORBIDDEN")
            let member = try await client.client(
                .get, "/rooms/\(room)/state/m.room.member/\(bob.userID)", token: alice.token)
            #expect(member["membership"] == "leave")
            let send = try await client.client(
                .put, "/rooms/\(room)/send/m.room.message/after-leave", token: bob.token, body: ["body": "hi"])
            #expect(send.status == 403)

            // Leaving a room one was never in is refused; the unknown room is 404.
            let carol = try await client.register("carol")
            let never = try await client.client(.post, "/rooms/\(room)/leave", token: carol.token, body: [:])
            #expect(never.status == 403)
            let unknown = try await client.client(.post, "/rooms/!nope:test.local/leave", token: carol.token, body: [:])
            #expect(unknown.status == 404)
        }
    }

    @Test func leavingRejectsAnInvite() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "private_chat", "invite": [.string(bob.userID)]])
            let reject = try await client.client(.post, "/rooms/\(room)/leave", token: bob.token, body: [:])
            #expect(reject.status == 200)
            let member = try await client.client(
                .get, "/rooms/\(room)/state/m.room.member/\(bob.userID)", token: alice.token)
            #expect(member["membership"] == "leave")
            #expect(member.status == 200)
            // The invite is gone: joining the invite-only room is refused again.
            let join = try await client.client(.post, "/rooms/\(room)/join", token: bob.token, body: [:])
            #expect(join.status == 403)
            #expect(try await client.joinedRooms(bob).isEmpty)
        }
    }

    @Test func joinedMembersAndMembersListTheRoom() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let carol = try await client.register("carol")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            try await client.join(bob, room)
            try await client.invite(alice, room, carol)

            let joined = try await client.client(.get, "/rooms/\(room)/joined_members", token: bob.token)
            #expect(joined.status == 200)
            let map = try #require(joined["joined"]?.objectValue)
            #expect(Set(map.keys) == [alice.userID, bob.userID])
            #expect(joined["joined"]?[alice.userID]?["display_name"] == "alice")
            #expect(joined["joined"]?[bob.userID]?["display_name"] == "bob")

            let members = try await client.client(.get, "/rooms/\(room)/members", token: alice.token)
            #expect(members.status == 200)
            let chunk = eventList(members["chunk"])
            #expect(chunk.count == 3)
            #expect(chunk.allSatisfy { $0["type"] == "m.room.member" && $0["room_id"] == .string(room) })
            #expect(Set(chunk.compactMap { $0["state_key"]?.stringValue }) == [alice.userID, bob.userID, carol.userID])
            let carolEvent = chunk.first { $0["state_key"] == .string(carol.userID) }
            #expect(carolEvent?["content"]?["membership"] == "invite")

            // Only members may look.
            let outsider = try await client.register("dave")
            #expect(try await client.client(.get, "/rooms/\(room)/joined_members", token: outsider.token).status == 403)
            #expect(try await client.client(.get, "/rooms/\(room)/members", token: outsider.token).status == 403)
            #expect(try await client.client(.get, "/rooms/\(room)/members", token: carol.token).status == 403)
        }
    }

    // MARK: - Events

    @Test func sendingIsIdempotentPerDeviceAndTransaction() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice)
            let first = try await client.sendText(alice, room, "hello", txnID: "txn1")
            #expect(first.hasPrefix("$"))
            let again = try await client.sendText(alice, room, "hello", txnID: "txn1")
            #expect(again == first)

            let page = try await client.messages(alice, room, query: "dir=b&limit=50")
            let chunk = eventList(page["chunk"])
            #expect(messageBodies(chunk) == ["hello"])
            #expect(chunk.first?["event_id"] == .string(first))

            // A second device of the same user with the same transaction ID is a new event.
            let laptop = try await client.login(alice, deviceID: "LAPTOP")
            let other = try await client.sendText(laptop, room, "hello", txnID: "txn1")
            #expect(other != first)
            // A different transaction ID on the first device is a new event as well.
            let third = try await client.sendText(alice, room, "hello again", txnID: "txn2")
            #expect(Set([first, other, third]).count == 3)
            let after = try await client.messages(alice, room, query: "dir=b&limit=50")
            #expect(messageBodies(eventList(after["chunk"])) == ["hello again", "hello", "hello"])
            #expect(eventIDs(eventList(after["chunk"])).prefix(3) == [third, other, first])
        }
    }

    @Test func theSameTransactionIDInAnotherRoomIsANewEvent() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let first = try await client.createRoom(alice)
            let second = try await client.createRoom(alice)
            let inFirst = try await client.sendText(alice, first, "to first", txnID: "shared")
            // A different path (another room) is a different request, not a retransmission.
            let inSecond = try await client.sendText(alice, second, "to second", txnID: "shared")
            #expect(inSecond != inFirst)
            let page = try await client.messages(alice, second, query: "dir=b&limit=50")
            #expect(messageBodies(eventList(page["chunk"])) == ["to second"])
            let firstPage = try await client.messages(alice, first, query: "dir=b&limit=50")
            #expect(messageBodies(eventList(firstPage["chunk"])) == ["to first"])
        }
    }

    @Test func nonMembersCannotSend() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            let send = try await client.client(
                .put, "/rooms/\(room)/send/m.room.message/t1", token: bob.token, body: ["body": "hi"])
            #expect(send.status == 403)
            #expect(send.errcode == "M_FORBIDDEN")
            let unknown = try await client.client(
                .put, "/rooms/!nope:test.local/send/m.room.message/t1", token: bob.token, body: ["body": "hi"])
            #expect(unknown.status == 404)
            let page = try await client.messages(alice, room, query: "dir=b&limit=50")
            #expect(messageBodies(eventList(page["chunk"])).isEmpty)
        }
    }

    @Test func stateChangesNeedPower() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat", "name": "Original"])
            try await client.join(bob, room)

            let refused = try await client.client(
                .put, "/rooms/\(room)/state/m.room.name", token: bob.token, body: ["name": "Bob's room"])
            #expect(refused.status == 403)
            #expect(refused.errcode == "M_FORBIDDEN")
            let custom = try await client.client(
                .put, "/rooms/\(room)/state/org.example.custom/", token: bob.token, body: ["x": 1])
            #expect(custom.status == 403)
            let name = try await client.client(.get, "/rooms/\(room)/state/m.room.name", token: bob.token)
            #expect(name["name"] == "Original")

            let allowed = try await client.client(
                .put, "/rooms/\(room)/state/m.room.name", token: alice.token, body: ["name": "Renamed"])
            #expect(allowed.status == 200)
            #expect(allowed["event_id"]?.stringValue?.hasPrefix("$") == true)
            #expect(
                try await client.client(.get, "/rooms/\(room)/state/m.room.name", token: bob.token)["name"] == "Renamed"
            )
            let keyed = try await client.client(
                .put, "/rooms/\(room)/state/org.example.custom/key", token: alice.token, body: ["x": 2])
            #expect(keyed.status == 200)
            let read = try await client.client(.get, "/rooms/\(room)/state/org.example.custom/key", token: bob.token)
            #expect(read.body == ["x": 2])

            // Non-members cannot set state either.
            let carol = try await client.register("carol")
            let outsider = try await client.client(
                .put, "/rooms/\(room)/state/m.room.topic", token: carol.token, body: ["topic": "x"])
            #expect(outsider.status == 403)
        }
    }

    @Test func membershipCannotBeSetThroughTheStateAPI() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice)
            let member = try await client.client(
                .put, "/rooms/\(room)/state/m.room.member/\(bob.userID)", token: alice.token,
                body: ["membership": "join"])
            #expect(member.status == 403)
            #expect(member.errcode == "M_FORBIDDEN")
            let own = try await client.client(
                .put, "/rooms/\(room)/state/m.room.member/\(alice.userID)", token: alice.token,
                body: ["membership": "leave"])
            #expect(own.status == 403)
            #expect(try await client.joinedRooms(bob).isEmpty)
            #expect(try await client.joinedRooms(alice) == [room])
            let bobState = try await client.client(
                .get, "/rooms/\(room)/state/m.room.member/\(bob.userID)", token: alice.token)
            #expect(bobState.status == 404)
        }
    }

    @Test func floatsInContentAreRejected() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice)
            let send = try await client.client(
                .put, "/rooms/\(room)/send/m.room.message/float", token: alice.token,
                raw: #"{"msgtype":"m.text","body":"pi","value":3.14}"#)
            #expect(send.status == 400)
            #expect(send.errcode == "M_BAD_JSON")
            let state = try await client.client(
                .put, "/rooms/\(room)/state/org.example.custom", token: alice.token, raw: #"{"value":1.5}"#)
            #expect(state.status == 400)
            #expect(state.errcode == "M_BAD_JSON")
            let page = try await client.messages(alice, room, query: "dir=b&limit=50")
            #expect(messageBodies(eventList(page["chunk"])).isEmpty)
            let custom = try await client.client(.get, "/rooms/\(room)/state/org.example.custom", token: alice.token)
            #expect(custom.status == 404)
        }
    }

    // MARK: - /messages

    @Test func messagesPaginateBackwardsWithoutRepeats() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice)
            var sent: [String] = []
            for index in 1...7 { sent.append(try await client.sendText(alice, room, "m\(index)")) }

            let first = try await client.messages(alice, room, query: "dir=b&limit=3")
            #expect(first["start"]?.stringValue != nil)
            let firstChunk = eventList(first["chunk"])
            #expect(firstChunk.count == 3)
            #expect(messageBodies(firstChunk) == ["m7", "m6", "m5"])
            #expect(firstChunk.allSatisfy { $0["room_id"] == .string(room) })

            // Page back until there is no `end`; every event exactly once, newest first.
            var seen = eventIDs(firstChunk)
            var token = try #require(first["end"]?.stringValue)
            var pages = 1
            while pages < 20 {
                let page = try await client.messages(alice, room, query: "dir=b&limit=3&from=\(queryEncoded(token))")
                let chunk = eventList(page["chunk"])
                #expect(chunk.count <= 3)
                seen += eventIDs(chunk)
                pages += 1
                guard let end = page["end"]?.stringValue else { break }
                #expect(end != token)
                token = end
            }
            #expect(pages < 20, "pagination never ended")
            #expect(Set(seen).count == seen.count, "repeated events: \(seen)")
            #expect(Array(seen.prefix(7)) == sent.reversed())
            // Everything in the room came back: the 7 messages and the creation state.
            let all = try await client.messages(alice, room, query: "dir=b&limit=1000")
            #expect(eventList(all["chunk"]).count == seen.count)
            #expect(all["end"] == nil)
            #expect(eventList(all["chunk"]).last?["type"] == "m.room.create")
        }
    }

    @Test func messagesPaginateForwardsFromAToken() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice)
            for index in 1...6 { try await client.sendText(alice, room, "m\(index)") }

            // Back over the newest four, then forwards again from there.
            let back = try await client.messages(alice, room, query: "dir=b&limit=4")
            #expect(messageBodies(eventList(back["chunk"])) == ["m6", "m5", "m4", "m3"])
            let end = try #require(back["end"]?.stringValue)
            let forward = try await client.messages(alice, room, query: "dir=f&limit=2&from=\(queryEncoded(end))")
            let forwardChunk = messageBodies(eventList(forward["chunk"]))
            #expect(forwardChunk.count == 2)
            #expect(forwardChunk.allSatisfy { ["m2", "m3", "m4"].contains($0) }, "\(forwardChunk)")
            let next = try #require(forward["end"]?.stringValue)
            let rest = try await client.messages(alice, room, query: "dir=f&limit=10&from=\(queryEncoded(next))")
            let restBodies = messageBodies(eventList(rest["chunk"]))
            #expect(restBodies.last == "m6")
            #expect(Set(restBodies).isDisjoint(with: forwardChunk))
            // Chronological order going forwards.
            let combined = forwardChunk + restBodies
            #expect(combined == combined.sorted())

            // A sync token works as a starting point too: nothing new after it, then new messages.
            let sync = try await client.syncRooms(alice)
            let nextBatch = try #require(sync["next_batch"]?.stringValue)
            try await client.sendText(alice, room, "m7")
            let fromSync = try await client.messages(
                alice, room, query: "dir=f&limit=10&from=\(queryEncoded(nextBatch))")
            #expect(messageBodies(eventList(fromSync["chunk"])) == ["m7"])
        }
    }

    @Test func messagesForwardsWithoutFromStartsAtTheBeginning() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice)
            for index in 1...3 { try await client.sendText(alice, room, "m\(index)") }
            // The spec: without `from`, dir=f starts at the first visible event of the room.
            let page = try await client.messages(alice, room, query: "dir=f&limit=2")
            let chunk = eventList(page["chunk"])
            #expect(chunk.count == 2, "\(page.body)")
            #expect(chunk.first?["type"] == "m.room.create")
        }
    }

    @Test func messagesRespectTheLimitAndRejectABadDirection() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice)
            for index in 1...5 { try await client.sendText(alice, room, "m\(index)") }
            let one = try await client.messages(alice, room, query: "dir=b&limit=1")
            #expect(messageBodies(eventList(one["chunk"])) == ["m5"])
            let four = try await client.messages(alice, room, query: "dir=b&limit=4")
            #expect(eventList(four["chunk"]).count == 4)
            // The default limit is 10.
            let defaulted = try await client.messages(alice, room, query: "dir=b")
            #expect(eventList(defaulted["chunk"]).count == 10)

            let bad = try await client.client(.get, "/rooms/\(room)/messages?dir=x", token: alice.token)
            #expect(bad.status == 400)
            #expect(bad.errcode == "M_INVALID_PARAM")
            let badToken = try await client.client(
                .get, "/rooms/\(room)/messages?dir=b&from=garbage", token: alice.token)
            #expect(badToken.status == 400)
            let outsider = try await client.client(.get, "/rooms/\(room)/messages?dir=b", token: bob.token)
            #expect(outsider.status == 403)
        }
    }
}
