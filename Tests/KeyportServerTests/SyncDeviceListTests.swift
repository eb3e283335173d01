import Hummingbird
import MatrixModel
import Testing

/// `device_lists` in `/sync` and `/keys/changes` (guarantee 6): exactly the users whose devices or
/// keys changed and who share a room, plus newly shared and no-longer-shared users.
@Suite struct SyncDeviceListTests {
    /// alice and bob share a room; carol shares none with either.
    struct Trio {
        let client: MatrixClient
        let alice: TestUser
        let bob: TestUser
        let carol: TestUser
        let roomID: String
    }

    static func trio(_ client: MatrixClient) async throws -> Trio {
        let alice = try await client.register("alice")
        let bob = try await client.register("bob")
        let carol = try await client.register("carol")
        let created = try await client.client(.post, "/createRoom", token: alice.token, body: ["preset": "public_chat"])
        let roomID = try #require(created["room_id"]?.stringValue)
        #expect(try await client.client(.post, "/join/\(roomID)", token: bob.token).status == 200)
        return Trio(client: client, alice: alice, bob: bob, carol: carol, roomID: roomID)
    }

    /// Runs `change` between two syncs of alice and of carol; returns what each saw.
    static func observe(
        _ trio: Trio, _ change: () async throws -> Void
    ) async throws -> (alice: MatrixClient.Reply, carol: MatrixClient.Reply) {
        let aliceSince = try await trio.client.position(trio.alice)
        let carolSince = try await trio.client.position(trio.carol)
        try await change()
        return (
            try await trio.client.sync(trio.alice, since: aliceSince),
            try await trio.client.sync(trio.carol, since: carolSince)
        )
    }

    @Test func eachTriggerReachesRoomMatesOnly() async throws {
        try await TestServer.run { client in
            let trio = try await Self.trio(client)
            let bob = trio.bob
            let triggers: [(String, () async throws -> Void)] = [
                (
                    "key upload",
                    {
                        let keys = DeviceKeyFactory(bob)
                        _ = try await client.client(
                            .post, "/keys/upload", token: bob.token, body: ["device_keys": keys.deviceKeys()])
                    }
                ),
                ("new login", { _ = try await client.login(bob, deviceID: "NEWLOGIN") }),
                (
                    "rename",
                    {
                        _ = try await client.client(
                            .put, "/devices/NEWLOGIN", token: bob.token, body: ["display_name": "n"])
                    }
                ),
                (
                    "device delete",
                    {
                        _ = try await client.client(
                            .delete, "/devices/NEWLOGIN", token: bob.token, body: ["auth": bob.passwordAuth])
                    }
                ),
                (
                    "cross-signing",
                    {
                        let master = CrossSigningKeyFactory(userID: bob.userID, usage: "master")
                        _ = try await client.client(
                            .post, "/keys/device_signing/upload", token: bob.token,
                            body: ["master_key": master.object()])
                    }
                ),
            ]
            for (name, change) in triggers {
                let (alice, carol) = try await Self.observe(trio, change)
                #expect(alice.changed == [bob.userID], "\(name): alice saw \(alice.changed)")
                #expect(alice.left.isEmpty, "\(name)")
                #expect(carol.changed.isEmpty, "\(name): carol saw \(carol.changed)")
            }
        }
    }

    @Test func usersSeeTheirOwnChanges() async throws {
        try await TestServer.run { client in
            let trio = try await Self.trio(client)
            let since = try await client.position(trio.carol)
            _ = try await client.login(trio.carol)
            let reply = try await client.sync(trio.carol, since: since)
            #expect(reply.changed == [trio.carol.userID])
        }
    }

    @Test func nothingChangedMeansNoEntries() async throws {
        try await TestServer.run { client in
            let trio = try await Self.trio(client)
            let since = try await client.position(trio.alice)
            // Activity that is not a device-list change: a message, a to-device message, OTK upload.
            _ = try await client.client(
                .put, "/rooms/\(trio.roomID)/send/m.room.message/t1", token: trio.bob.token, body: ["body": "hi"])
            let keys = DeviceKeyFactory(trio.bob)
            _ = try await client.client(
                .post, "/keys/upload", token: trio.bob.token, body: ["device_keys": keys.deviceKeys()])
            let afterKeys = try await client.position(trio.alice)
            _ = try await client.client(
                .post, "/keys/upload", token: trio.bob.token, body: ["one_time_keys": keys.oneTimeKeys(count: 2)])
            let reply = try await client.sync(trio.alice, since: afterKeys)
            #expect(reply.changed.isEmpty)
            #expect(reply.left.isEmpty)
            let first = try await client.sync(trio.alice, since: since)
            #expect(first.changed == [trio.bob.userID])
        }
    }

    @Test func joinLeaveAndRejoin() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let created = try await client.client(
                .post, "/createRoom", token: alice.token, body: ["preset": "public_chat"])
            let roomID = try #require(created["room_id"]?.stringValue)
            let aliceStart = try await client.position(alice)
            let bobStart = try await client.position(bob)
            #expect(try await client.client(.post, "/rooms/\(roomID)/join", token: bob.token).status == 200)
            let aliceAfterJoin = try await client.sync(alice, since: aliceStart)
            #expect(aliceAfterJoin.changed == [bob.userID])
            let bobAfterJoin = try await client.sync(bob, since: bobStart)
            #expect(bobAfterJoin.changed == [alice.userID, bob.userID])

            #expect(try await client.client(.post, "/rooms/\(roomID)/leave", token: bob.token).status == 200)
            let aliceAfterLeave = try await client.sync(alice, since: aliceAfterJoin.nextBatch)
            #expect(aliceAfterLeave.left == [bob.userID])
            #expect(aliceAfterLeave.changed.isEmpty)
            let bobAfterLeave = try await client.sync(bob, since: bobAfterJoin.nextBatch)
            #expect(bobAfterLeave.left == [alice.userID])
            // Repeating the same since gives the same answer.
            let again = try await client.sync(alice, since: aliceAfterJoin.nextBatch)
            #expect(again.left == [bob.userID])

            // A change while apart is not reported...
            let keys = DeviceKeyFactory(bob)
            _ = try await client.client(
                .post, "/keys/upload", token: bob.token, body: ["device_keys": keys.deviceKeys()])
            let apart = try await client.sync(alice, since: aliceAfterLeave.nextBatch)
            #expect(apart.changed.isEmpty)
            // ...but rejoining makes bob changed again, so alice re-queries his keys.
            #expect(try await client.client(.post, "/join/\(roomID)", token: bob.token).status == 200)
            let rejoined = try await client.sync(alice, since: apart.nextBatch)
            #expect(rejoined.changed == [bob.userID])
            #expect(rejoined.left.isEmpty)

            let changes = try await client.client(
                .get, "/keys/changes?from=\(aliceAfterJoin.nextBatch)&to=\(aliceAfterLeave.nextBatch)",
                token: alice.token)
            #expect(changes["left"] == [.string(bob.userID)])
            #expect(changes["changed"] == [])
            let rejoinChanges = try await client.client(
                .get, "/keys/changes?from=\(apart.nextBatch)&to=\(rejoined.nextBatch)", token: alice.token)
            #expect(rejoinChanges["changed"] == [.string(bob.userID)])
        }
    }

    @Test func oneTimeKeyCountsAndUnusedFallbackTypes() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let empty = try await client.sync(alice)
            #expect(empty["device_one_time_keys_count"] == ["signed_curve25519": 0])
            #expect(empty["device_unused_fallback_key_types"] == [])
            let keys = DeviceKeyFactory(alice)
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: [
                    "device_keys": keys.deviceKeys(), "one_time_keys": keys.oneTimeKeys(count: 1),
                    "fallback_keys": ["signed_curve25519:FB": keys.signedKey(fallback: true)],
                ])
            let uploaded = try await client.sync(alice, since: empty.nextBatch)
            #expect(uploaded["device_one_time_keys_count"] == ["signed_curve25519": 1])
            #expect(uploaded["device_unused_fallback_key_types"] == ["signed_curve25519"])
            let claim: JSONValue = [
                "one_time_keys": .object([alice.userID: .object([alice.deviceID: "signed_curve25519"])])
            ]
            _ = try await client.client(.post, "/keys/claim", token: bob.token, body: claim)
            _ = try await client.client(.post, "/keys/claim", token: bob.token, body: claim)
            let claimed = try await client.sync(alice, since: uploaded.nextBatch)
            #expect(claimed["device_one_time_keys_count"] == ["signed_curve25519": 0])
            #expect(claimed["device_unused_fallback_key_types"] == [])
        }
    }
}
