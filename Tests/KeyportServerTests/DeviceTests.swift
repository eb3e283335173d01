import Hummingbird
import MatrixModel
import Testing

/// `/devices` and `/delete_devices` over HTTP.
@Suite struct DeviceTests {
    @Test func listShowAndRename() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice", deviceID: "PHONE")
            let list = try await client.client(.get, "/devices", token: alice.token)
            #expect(list["devices"]?.arrayValue?.compactMap { $0["device_id"]?.stringValue } == ["PHONE"])
            let shown = try await client.client(.get, "/devices/PHONE", token: alice.token)
            #expect(shown["device_id"] == "PHONE")
            // Using the token recorded when and from where the device was last seen.
            #expect(shown["last_seen_ip"] == "127.0.0.1")
            #expect((shown["last_seen_ts"]?.intValue ?? 0) > 0)
            #expect(shown["display_name"] == nil)
            let renamed = try await client.client(
                .put, "/devices/PHONE", token: alice.token, body: ["display_name": "My phone"])
            #expect(renamed.status == 200)
            #expect(try await client.client(.get, "/devices/PHONE", token: alice.token)["display_name"] == "My phone")
            let unknown = try await client.client(
                .put, "/devices/NOPE", token: alice.token, body: ["display_name": "x"])
            #expect(unknown.status == 404)
            #expect(unknown.errcode == "M_NOT_FOUND")
            #expect(try await client.client(.get, "/devices/NOPE", token: alice.token).status == 404)
        }
    }

    @Test func anotherUsersDeviceIsNotFound() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice", deviceID: "ALICEDEV")
            let bob = try await client.register("bob")
            #expect(try await client.client(.get, "/devices/ALICEDEV", token: bob.token).status == 404)
            #expect(
                try await client.client(.put, "/devices/ALICEDEV", token: bob.token, body: ["display_name": "x"]).status
                    == 404)
            let delete = try await client.client(
                .delete, "/devices/ALICEDEV", token: bob.token, body: ["auth": bob.passwordAuth])
            #expect(delete.status == 404)
            #expect(try await client.client(.get, "/devices/ALICEDEV", token: alice.token).status == 200)
        }
    }

    @Test func deletionNeedsThePassword() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let doomed = try await client.login(alice, deviceID: "DOOMED")
            let bob = try await client.register("bob")
            let noBody = try await client.client(.delete, "/devices/DOOMED", token: alice.token)
            #expect(noBody.status == 401)
            #expect(noBody["flows"] == [["stages": ["m.login.password"]]])
            let session = try #require(noBody["session"]?.stringValue)
            #expect(noBody["params"] != nil)
            var wrongAuth = alice.passwordAuth
            wrongAuth["password"] = "wrong"
            wrongAuth["session"] = .string(session)
            let wrong = try await client.client(
                .delete, "/devices/DOOMED", token: alice.token, body: ["auth": wrongAuth])
            #expect(wrong.status == 401)
            #expect(wrong.errcode == "M_FORBIDDEN")
            #expect(wrong["flows"] != nil)
            let otherUser = try await client.client(
                .delete, "/devices/DOOMED", token: alice.token, body: ["auth": bob.passwordAuth])
            #expect(otherUser.status == 403)
            #expect(try await client.client(.get, "/devices/DOOMED", token: alice.token).status == 200)
            var auth = alice.passwordAuth
            auth["session"] = .string(session)
            let done = try await client.client(.delete, "/devices/DOOMED", token: alice.token, body: ["auth": auth])
            #expect(done.status == 200)
            #expect(try await client.client(.get, "/devices/DOOMED", token: alice.token).status == 404)
            #expect(try await client.client(.get, "/account/whoami", token: doomed.token).status == 401)
        }
    }

    @Test func deletionRemovesTheDevicesKeys() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let doomed = try await client.login(alice, deviceID: "DOOMED")
            let keys = DeviceKeyFactory(doomed)
            let upload = try await client.client(
                .post, "/keys/upload", token: doomed.token,
                body: [
                    "device_keys": keys.deviceKeys(), "one_time_keys": keys.oneTimeKeys(count: 3),
                    "fallback_keys": ["signed_curve25519:FB": keys.signedKey(fallback: true)],
                ])
            #expect(upload.status == 200)
            let bob = try await client.register("bob")
            let delete = try await client.client(
                .post, "/delete_devices", token: alice.token,
                body: ["devices": ["DOOMED", "NEVER_EXISTED"], "auth": alice.passwordAuth])
            #expect(delete.status == 200)
            let query = try await client.client(
                .post, "/keys/query", token: bob.token, body: ["device_keys": .object([alice.userID: []])])
            #expect(query["device_keys"]?[alice.userID] == [:])
            let claim = try await client.client(
                .post, "/keys/claim", token: bob.token,
                body: ["one_time_keys": .object([alice.userID: ["DOOMED": "signed_curve25519"]])])
            #expect(claim["one_time_keys"] == [:])
            // A new login with the same device ID starts with no keys at all.
            let reborn = try await client.login(alice, deviceID: "DOOMED")
            let counts = try await client.client(.post, "/keys/upload", token: reborn.token, body: [:])
            #expect(counts["one_time_key_counts"] == ["signed_curve25519": 0])
        }
    }

    @Test func deleteDevicesNeedsAuthToo() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            _ = try await client.login(alice, deviceID: "OTHER")
            let challenge = try await client.client(
                .post, "/delete_devices", token: alice.token, body: ["devices": ["OTHER"]])
            #expect(challenge.status == 401)
            #expect(challenge["session"] != nil)
            #expect(try await client.client(.get, "/devices/OTHER", token: alice.token).status == 200)
        }
    }
}
