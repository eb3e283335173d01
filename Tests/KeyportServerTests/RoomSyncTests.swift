import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixModel
import Testing

/// The `rooms` section of `/sync`: joined rooms, invites, leaves, limits and long-polling.
@Suite struct RoomSyncTests {
    @Test func initialSyncListsJoinedRoomsWithTimelineAndState() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice, ["name": "Den"])
            let message = try await client.sendText(alice, room, "hello")

            let sync = try await client.syncRooms(alice)
            let nextBatch = sync["next_batch"]?.stringValue
            #expect(nextBatch?.isEmpty == false)
            let joined = try #require(sync["rooms"]?["join"]?[room], "\(sync.body)")
            let timeline = eventList(joined["timeline"]?["events"])
            let state = eventList(joined["state"]?["events"])
            #expect(eventIDs(timeline).last == message)
            #expect(messageBodies(timeline) == ["hello"])
            // Timeline events carry no room_id in sync; every event has an ID, sender and timestamp.
            #expect((timeline + state).allSatisfy { $0["room_id"] == nil })
            #expect((timeline + state).allSatisfy { $0["event_id"] != nil && $0["origin_server_ts"] != nil })
            // Between them, state and timeline describe the whole room state, without duplicates.
            #expect(Set(eventIDs(state)).isDisjoint(with: eventIDs(timeline)))
            let keys = stateKeys(state + timeline)
            for expected in [
                "m.room.create|", "m.room.member|\(alice.userID)", "m.room.power_levels|", "m.room.join_rules|",
                "m.room.history_visibility|", "m.room.name|",
            ] {
                #expect(keys.contains(expected), "missing \(expected)")
            }
            #expect(sync["rooms"]?["invite"]?.objectValue?.isEmpty == true)
            #expect(sync["rooms"]?["leave"]?.objectValue?.isEmpty == true)
        }
    }

    @Test func initialSyncPutsOlderStateInTheStateSection() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            for index in 1...12 { try await client.sendText(alice, room, "m\(index)") }

            let sync = try await client.syncRooms(alice)
            let joined = try #require(sync["rooms"]?["join"]?[room])
            let timeline = eventList(joined["timeline"]?["events"])
            #expect(timeline.count == 10)
            #expect(messageBodies(timeline) == (3...12).map { "m\($0)" })
            #expect(joined["timeline"]?["limited"] == true)
            #expect(joined["timeline"]?["prev_batch"]?.stringValue != nil)
            let keys = stateKeys(eventList(joined["state"]?["events"]))
            #expect(
                keys.isSuperset(of: [
                    "m.room.create|", "m.room.member|\(alice.userID)", "m.room.power_levels|", "m.room.join_rules|",
                ]), "\(keys)")
            let joinRule = eventList(joined["state"]?["events"]).first { $0["type"] == "m.room.join_rules" }
            #expect(joinRule?["content"]?["join_rule"] == "public")
        }
    }

    @Test func invitesAppearWithStrippedState() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(
                alice,
                [
                    "preset": "private_chat", "name": "Invite only", "is_direct": true,
                    "invite": [.string(bob.userID)],
                    "initial_state": [
                        ["type": "m.room.encryption", "content": ["algorithm": "m.megolm.v1.aes-sha2"]]
                    ],
                ])
            let sync = try await client.syncRooms(bob)
            #expect(sync["rooms"]?["join"]?[room] == nil)
            let invited = try #require(sync["rooms"]?["invite"]?[room], "\(sync.body)")
            let events = eventList(invited["invite_state"]?["events"])
            #expect(!events.isEmpty)
            // Stripped: type, state_key, sender, content, and nothing else.
            for event in events {
                let fields = Set(event.objectValue?.keys.map { $0 } ?? [])
                #expect(fields == ["type", "state_key", "sender", "content"], "\(event)")
            }
            let own = events.first { $0["type"] == "m.room.member" && $0["state_key"] == .string(bob.userID) }
            #expect(own?["content"]?["membership"] == "invite")
            #expect(own?["content"]?["is_direct"] == true)
            #expect(own?["sender"] == .string(alice.userID))
            let name = events.first { $0["type"] == "m.room.name" }
            #expect(name?["content"]?["name"] == "Invite only")
            #expect(events.contains { $0["type"] == "m.room.create" })
            #expect(events.contains { $0["type"] == "m.room.join_rules" })
            #expect(events.contains { $0["type"] == "m.room.encryption" })
            // Not the power levels: stripped state is a summary only.
            #expect(!events.contains { $0["type"] == "m.room.power_levels" })

            // Once joined, the room moves to `join` in the next sync.
            let since = try #require(sync["next_batch"]?.stringValue)
            try await client.join(bob, room)
            let after = try await client.syncRooms(bob, since: since)
            #expect(after["rooms"]?["invite"]?[room] == nil)
            let joined = try #require(after["rooms"]?["join"]?[room], "\(after.body)")
            let all = eventList(joined["timeline"]?["events"]) + eventList(joined["state"]?["events"])
            #expect(
                all.contains {
                    $0["type"] == "m.room.member" && $0["state_key"] == .string(bob.userID)
                        && $0["content"]?["membership"] == "join"
                })
        }
    }

    @Test func anInviteArrivesInAnIncrementalSync() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice)
            let first = try await client.syncRooms(bob)
            #expect(first["rooms"]?["invite"]?.objectValue?.isEmpty == true)
            let since = try #require(first["next_batch"]?.stringValue)
            try await client.invite(alice, room, bob)
            let second = try await client.syncRooms(bob, since: since)
            let invited = try #require(second["rooms"]?["invite"]?[room], "\(second.body)")
            let events = eventList(invited["invite_state"]?["events"])
            #expect(
                events.contains {
                    $0["type"] == "m.room.member" && $0["state_key"] == .string(bob.userID)
                        && $0["content"]?["membership"] == "invite"
                })
            // Already reported: the next incremental sync does not repeat it.
            let third = try await client.syncRooms(bob, since: try #require(second["next_batch"]?.stringValue))
            #expect(third["rooms"]?["invite"]?[room] == nil)
        }
    }

    @Test func incrementalSyncShowsOnlyTheNewEvent() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            try await client.join(bob, room)
            let initial = try await client.syncRooms(alice)
            let since = try #require(initial["next_batch"]?.stringValue)

            let message = try await client.sendText(bob, room, "new one")
            let sync = try await client.syncRooms(alice, since: since)
            let joined = try #require(sync["rooms"]?["join"]?[room], "\(sync.body)")
            let timeline = eventList(joined["timeline"]?["events"])
            #expect(eventIDs(timeline) == [message])
            #expect(timeline.first?["sender"] == .string(bob.userID))
            #expect(timeline.first?["content"]?["body"] == "new one")
            #expect(joined["timeline"]?["limited"] == false)
            let stateEvents = eventList(joined["state"]?["events"])
            #expect(stateEvents.isEmpty)
            let nextBatch = try #require(sync["next_batch"]?.stringValue)
            #expect(nextBatch != since)

            // Nothing new: with timeout=0 the answer comes at once with no joined rooms.
            let quiet = try await client.syncRooms(alice, since: nextBatch)
            #expect(quiet["rooms"]?["join"]?.objectValue?.isEmpty == true, "\(quiet.body)")
            #expect(quiet["next_batch"]?.stringValue == nextBatch)
        }
    }

    @Test func aLimitedTimelineGivesAPrevBatchToPageBackFrom() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice)
            let filter = #"{"room":{"timeline":{"limit":2}}}"#
            let initial = try await client.syncRooms(alice, filter: filter)
            let since = try #require(initial["next_batch"]?.stringValue)
            for index in 1...5 { try await client.sendText(alice, room, "m\(index)") }

            let sync = try await client.syncRooms(alice, since: since, filter: filter)
            let joined = try #require(sync["rooms"]?["join"]?[room], "\(sync.body)")
            let timeline = eventList(joined["timeline"]?["events"])
            #expect(messageBodies(timeline) == ["m4", "m5"])
            #expect(joined["timeline"]?["limited"] == true)
            let prevBatch = try #require(joined["timeline"]?["prev_batch"]?.stringValue)
            let page = try await client.messages(alice, room, query: "dir=b&limit=3&from=\(queryEncoded(prevBatch))")
            #expect(messageBodies(eventList(page["chunk"])) == ["m3", "m2", "m1"])
        }
    }

    @Test func aRoomLeftSinceTheLastSyncAppearsUnderLeave() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            try await client.join(bob, room)
            let initial = try await client.syncRooms(bob)
            #expect(initial["rooms"]?["join"]?[room] != nil)
            let since = try #require(initial["next_batch"]?.stringValue)

            try await client.leave(bob, room)
            let sync = try await client.syncRooms(bob, since: since)
            #expect(sync["rooms"]?["join"]?[room] == nil)
            let left = try #require(sync["rooms"]?["leave"]?[room], "\(sync.body)")
            let timeline = eventList(left["timeline"]?["events"])
            #expect(
                timeline.contains {
                    $0["type"] == "m.room.member" && $0["state_key"] == .string(bob.userID)
                        && $0["content"]?["membership"] == "leave"
                })

            // Later messages in the room are not shown to bob, and the leave is not repeated.
            let next = try #require(sync["next_batch"]?.stringValue)
            try await client.sendText(alice, room, "after bob left")
            let later = try await client.syncRooms(bob, since: next)
            #expect(later["rooms"]?["leave"]?[room] == nil)
            #expect(later["rooms"]?["join"]?[room] == nil)
            // An initial sync without include_leave does not list it.
            let fresh = try await client.syncRooms(bob)
            #expect(fresh["rooms"]?["leave"]?[room] == nil)
            #expect(fresh["rooms"]?["join"]?[room] == nil)
        }
    }

    @Test func aLimitedIncrementalSyncCarriesStateChangedInTheGap() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat", "name": "Old name"])
            try await client.join(bob, room)
            let filter = #"{"room":{"timeline":{"limit":2}}}"#
            let since = try #require(try await client.syncRooms(bob, filter: filter)["next_batch"]?.stringValue)

            let rename = try await client.client(
                .put, "/rooms/\(room)/state/m.room.name", token: alice.token, body: ["name": "New name"])
            try #require(rename.status == 200)
            for index in 1...3 { try await client.sendText(alice, room, "m\(index)") }

            // The rename fell out of the limited timeline: the spec puts it in `state` (the state
            // between `since` and the start of the timeline), or the client never learns of it.
            let sync = try await client.syncRooms(bob, since: since, filter: filter)
            let joined = try #require(sync["rooms"]?["join"]?[room], "\(sync.body)")
            #expect(messageBodies(eventList(joined["timeline"]?["events"])) == ["m2", "m3"])
            #expect(joined["timeline"]?["limited"] == true)
            let name = eventList(joined["state"]?["events"]).first { $0["type"] == "m.room.name" }
            #expect(name?["content"]?["name"] == "New name", "state: \(joined["state"] ?? nil)")
        }
    }

    @Test func fullStateIncrementalSyncRepeatsTheRoomState() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice, ["name": "Full"])
            let since = try #require(try await client.syncRooms(alice)["next_batch"]?.stringValue)
            try await client.sendText(alice, room, "one more")
            let reply = try await client.client(
                .get, syncPath(since: since) + "&full_state=true", token: alice.token)
            #expect(reply.status == 200)
            let joined = try #require(reply["rooms"]?["join"]?[room], "\(reply.body)")
            #expect(messageBodies(eventList(joined["timeline"]?["events"])) == ["one more"])
            let keys = stateKeys(eventList(joined["state"]?["events"]))
            #expect(
                keys.isSuperset(of: ["m.room.create|", "m.room.name|", "m.room.member|\(alice.userID)"]), "\(keys)")
        }
    }

    @Test func includeLeaveListsLeftRoomsInAnInitialSync() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            try await client.join(bob, room)
            try await client.leave(bob, room)
            let sync = try await client.syncRooms(bob, filter: #"{"room":{"include_leave":true}}"#)
            let left = try #require(sync["rooms"]?["leave"]?[room], "\(sync.body)")
            let timeline = eventList(left["timeline"]?["events"])
            #expect(
                timeline.last?["type"] == "m.room.member" && timeline.last?["content"]?["membership"] == "leave")
            #expect(sync["rooms"]?["join"]?[room] == nil)
        }
    }

    @Test func rejectingAnInviteDoesNotRevealTheRoomsMessages() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "private_chat", "invite": [.string(bob.userID)]])
            let first = try await client.syncRooms(bob)
            #expect(first["rooms"]?["invite"]?[room] != nil)
            let since = try #require(first["next_batch"]?.stringValue)

            try await client.sendText(alice, room, "members only")
            try await client.leave(bob, room)

            // Bob was never joined (history_visibility is "shared"): the leave section may show his
            // rejection, not the room's messages.
            let sync = try await client.syncRooms(bob, since: since)
            let left = try #require(sync["rooms"]?["leave"]?[room], "\(sync.body)")
            let timeline = eventList(left["timeline"]?["events"])
            #expect(
                timeline.contains {
                    $0["type"] == "m.room.member" && $0["state_key"] == .string(bob.userID)
                        && $0["content"]?["membership"] == "leave"
                })
            #expect(messageBodies(timeline).isEmpty, "leaked: \(messageBodies(timeline))")

            // Nor does an initial sync with include_leave show the room's history.
            let initial = try await client.syncRooms(bob, filter: #"{"room":{"include_leave":true}}"#)
            let history = eventList(initial["rooms"]?["leave"]?[room]?["timeline"]?["events"])
            #expect(messageBodies(history).isEmpty, "leaked: \(messageBodies(history))")
        }
    }

    @Test func transactionIDIsShownOnlyToTheSendingDevice() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice", deviceID: "PHONE")
            let laptop = try await client.login(alice, deviceID: "LAPTOP")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            try await client.join(bob, room)
            let event = try await client.sendText(alice, room, "mine", txnID: "phone-txn-1")

            func timelineEvent(_ user: TestUser) async throws -> JSONValue? {
                let sync = try await client.syncRooms(user)
                return eventList(sync["rooms"]?["join"]?[room]?["timeline"]?["events"]).first {
                    $0["event_id"] == .string(event)
                }
            }
            let onPhone = try #require(try await timelineEvent(alice))
            #expect(onPhone["unsigned"]?["transaction_id"] == "phone-txn-1")
            let onLaptop = try #require(try await timelineEvent(laptop))
            #expect(onLaptop["unsigned"] != nil)
            #expect(onLaptop["unsigned"]?["transaction_id"] == nil)
            let onBob = try #require(try await timelineEvent(bob))
            #expect(onBob["unsigned"]?["transaction_id"] == nil)

            // The same holds for /messages.
            let page = try await client.messages(alice, room, query: "dir=b&limit=1")
            #expect(eventList(page["chunk"]).first?["unsigned"]?["transaction_id"] == "phone-txn-1")
            let laptopPage = try await client.messages(laptop, room, query: "dir=b&limit=1")
            #expect(eventList(laptopPage["chunk"]).first?["event_id"] == .string(event))
            #expect(eventList(laptopPage["chunk"]).first?["unsigned"]?["transaction_id"] == nil)
        }
    }

    @Test func aLongPollReturnsWhenAnotherUserSendsAMessage() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice, ["preset": "public_chat"])
            try await client.join(bob, room)
            let since = try #require(try await client.syncRooms(alice)["next_batch"]?.stringValue)

            // Bob sends on a second connection while alice's long poll holds the first.
            let (sync, elapsed, sent) = try await client.withExtraConnection { connection in
                async let sent = {
                    try await Task.sleep(for: .milliseconds(300))
                    return try await connection.send(
                        .put, "/rooms/\(room)/send/m.room.message/long-poll", token: bob.token,
                        body: ["msgtype": "m.text", "body": "wake up"])
                }()
                let clock = ContinuousClock()
                let start = clock.now
                let sync = try await client.syncRooms(alice, since: since, timeout: 30_000)
                return (sync, clock.now - start, try await sent)
            }

            #expect(sent.status == 200, "\(sent.body)")
            // Well before the 30 s timeout, which a poll that was not woken would run to; the margin
            // is for a machine running the whole suite at once.
            #expect(elapsed < .seconds(20), "long poll took \(elapsed)")
            #expect(elapsed >= .milliseconds(200), "the sync did not wait: \(elapsed)")
            let timeline = eventList(sync["rooms"]?["join"]?[room]?["timeline"]?["events"])
            #expect(messageBodies(timeline) == ["wake up"], "\(sync.body)")
            #expect(eventIDs(timeline) == [sent.body["event_id"]?.stringValue].compactMap { $0 })
        }
    }

    @Test func aLongPollWakesTheInviteeOfANewInvite() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let room = try await client.createRoom(alice)
            let since = try #require(try await client.syncRooms(bob)["next_batch"]?.stringValue)

            let (sync, elapsed, invited) = try await client.withExtraConnection { connection in
                async let invited = {
                    try await Task.sleep(for: .milliseconds(300))
                    return try await connection.send(
                        .post, "/rooms/\(room)/invite", token: alice.token, body: ["user_id": .string(bob.userID)])
                }()
                let clock = ContinuousClock()
                let start = clock.now
                let sync = try await client.syncRooms(bob, since: since, timeout: 30_000)
                return (sync, clock.now - start, try await invited)
            }

            #expect(invited.status == 200, "\(invited.body)")
            // Well before the 30 s timeout, which a poll that was not woken would run to; the margin
            // is for a machine running the whole suite at once.
            #expect(elapsed < .seconds(20), "long poll took \(elapsed)")
            #expect(sync["rooms"]?["invite"]?[room] != nil, "\(sync.body)")
        }
    }
}
