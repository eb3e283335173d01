import Hummingbird
import MatrixModel
import Testing

/// `/user/{userId}/filter` and how `/sync` applies filters.
@Suite struct FilterTests {
    @Test func aSavedFilterReadsBackTheSame() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let filter: JSONValue = [
                "room": ["timeline": ["limit": 5], "state": ["lazy_load_members": true]],
                "presence": ["types": ["m.presence"]], "event_fields": ["type", "content.body"],
            ]
            let saved = try await client.client(.post, "/user/\(alice.userID)/filter", token: alice.token, body: filter)
            #expect(saved.status == 200)
            let filterID = try #require(saved["filter_id"]?.stringValue)
            #expect(!filterID.isEmpty)

            let read = try await client.client(.get, "/user/\(alice.userID)/filter/\(filterID)", token: alice.token)
            #expect(read.status == 200)
            #expect(read.body == filter)

            // A second filter gets its own ID and keeps its own content.
            let other: JSONValue = ["room": ["timeline": ["limit": 1]]]
            let second = try await client.client(.post, "/user/\(alice.userID)/filter", token: alice.token, body: other)
            let secondID = try #require(second["filter_id"]?.stringValue)
            #expect(secondID != filterID)
            #expect(
                try await client.client(.get, "/user/\(alice.userID)/filter/\(secondID)", token: alice.token).body
                    == other)
            #expect(
                try await client.client(.get, "/user/\(alice.userID)/filter/\(filterID)", token: alice.token).body
                    == filter)
        }
    }

    @Test func filtersBelongToTheirUser() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let saved = try await client.client(
                .post, "/user/\(alice.userID)/filter", token: alice.token, body: ["room": ["timeline": ["limit": 3]]])
            let filterID = try #require(saved["filter_id"]?.stringValue)

            let create = try await client.client(
                .post, "/user/\(alice.userID)/filter", token: bob.token, body: ["room": [:]])
            #expect(create.status == 403)
            #expect(create.errcode == "M_FORBIDDEN")
            let read = try await client.client(.get, "/user/\(alice.userID)/filter/\(filterID)", token: bob.token)
            #expect(read.status == 403)
            #expect(read.errcode == "M_FORBIDDEN")
            // Bob has no filter with that ID under his own name.
            let own = try await client.client(.get, "/user/\(bob.userID)/filter/\(filterID)", token: bob.token)
            #expect(own.status == 404)

            // Bob's sync cannot use alice's filter by ID either.
            let bobFilter = try await client.client(
                .post, "/user/\(bob.userID)/filter", token: bob.token, body: ["room": ["timeline": ["limit": 9]]])
            let bobFilterID = try #require(bobFilter["filter_id"]?.stringValue)
            #expect(
                try await client.client(.get, "/user/\(bob.userID)/filter/\(bobFilterID)", token: bob.token).body
                    == ["room": ["timeline": ["limit": 9]]])
            #expect(
                try await client.client(.get, "/user/\(alice.userID)/filter/\(filterID)", token: alice.token).body
                    == ["room": ["timeline": ["limit": 3]]])
        }
    }

    @Test func anUnknownFilterIsNotFound() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let unknown = try await client.client(.get, "/user/\(alice.userID)/filter/12345", token: alice.token)
            #expect(unknown.status == 404)
            #expect(unknown.errcode == "M_NOT_FOUND")
            let sync = try await client.client(.get, syncPath(filter: "12345"), token: alice.token)
            #expect(sync.status == 404)
            #expect(sync.errcode == "M_NOT_FOUND")
        }
    }

    @Test func syncAppliesAStoredFiltersTimelineLimit() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice)
            for index in 1...6 { try await client.sendText(alice, room, "m\(index)") }
            let saved = try await client.client(
                .post, "/user/\(alice.userID)/filter", token: alice.token, body: ["room": ["timeline": ["limit": 3]]])
            let filterID = try #require(saved["filter_id"]?.stringValue)

            let sync = try await client.syncRooms(alice, filter: filterID)
            let timeline = sync["rooms"]?["join"]?[room]?["timeline"]
            #expect(messageBodies(eventList(timeline?["events"])) == ["m4", "m5", "m6"])
            #expect(eventList(timeline?["events"]).count == 3)
            #expect(timeline?["limited"] == true)

            // Without the filter the default limit (10) applies.
            let unfiltered = try await client.syncRooms(alice)
            #expect(eventList(unfiltered["rooms"]?["join"]?[room]?["timeline"]?["events"]).count == 10)
        }
    }

    @Test func syncAcceptsAnInlineFilter() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let room = try await client.createRoom(alice)
            for index in 1...4 { try await client.sendText(alice, room, "m\(index)") }
            let sync = try await client.syncRooms(alice, filter: #"{"room":{"timeline":{"limit":1}}}"#)
            let timeline = sync["rooms"]?["join"]?[room]?["timeline"]
            #expect(eventIDs(eventList(timeline?["events"])).count == 1)
            #expect(messageBodies(eventList(timeline?["events"])) == ["m4"])
            #expect(timeline?["limited"] == true)

            let broken = try await client.client(.get, syncPath(filter: #"{"room":"#), token: alice.token)
            #expect(broken.status == 400)
        }
    }

    @Test func anInvalidSinceTokenIsRejected() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            for token in ["garbage", "s1_2_3_4_5", "s-1_0_0", "sx"] {
                let reply = try await client.client(.get, syncPath(since: token), token: alice.token)
                #expect(reply.status == 400, "since=\(token): \(reply.body)")
                #expect(reply.errcode == "M_INVALID_PARAM", "since=\(token)")
            }
            let timeout = try await client.client(.get, "/sync?timeout=soon", token: alice.token)
            #expect(timeout.status == 400)
        }
    }
}
