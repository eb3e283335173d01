import Hummingbird
import MatrixModel
import Testing

/// `POST /keys/query`, `POST /keys/claim`, `GET /keys/changes`.
@Suite struct KeyQueryClaimTests {
    @Test func queryReturnsUploadedKeysWithDisplayNames() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let laptop = try await client.login(alice, deviceID: "LAPTOP", displayName: "Alice's laptop")
            let phoneKeys = DeviceKeyFactory(alice)
            let laptopKeys = DeviceKeyFactory(laptop)
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["device_keys": phoneKeys.deviceKeys()])
            _ = try await client.client(
                .post, "/keys/upload", token: laptop.token, body: ["device_keys": laptopKeys.deviceKeys()])
            let bob = try await client.register("bob")
            let noKeys = try await client.register("nokeys")
            let reply = try await client.client(
                .post, "/keys/query", token: bob.token,
                body: ["device_keys": .object([alice.userID: [], noKeys.userID: [], "@ghost:test.local": []])])
            #expect(reply.status == 200)
            #expect(reply["failures"] == [:])
            let devices = try #require(reply["device_keys"]?[alice.userID]?.objectValue)
            #expect(Set(devices.keys) == [alice.deviceID, "LAPTOP"])
            var expectedLaptop = laptopKeys.deviceKeys()
            expectedLaptop["unsigned"] = ["device_display_name": "Alice's laptop"]
            #expect(devices["LAPTOP"] == expectedLaptop)
            var expectedPhone = phoneKeys.deviceKeys()
            expectedPhone["unsigned"] = [:]
            #expect(devices[alice.deviceID] == expectedPhone)
            #expect(reply["device_keys"]?[noKeys.userID] == [:])
            #expect(reply["device_keys"]?["@ghost:test.local"] == nil)
            let filtered = try await client.client(
                .post, "/keys/query", token: bob.token, body: ["device_keys": .object([alice.userID: ["LAPTOP"]])])
            #expect(filtered["device_keys"]?[alice.userID]?.objectValue?.keys.sorted() == ["LAPTOP"])
        }
    }

    @Test func queryRejectsWrongShapesAndReportsRemoteServers() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let objectInsteadOfList = try await client.client(
                .post, "/keys/query", token: alice.token, body: ["device_keys": .object([alice.userID: ["DEV": true]])])
            #expect(objectInsteadOfList.status == 400)
            #expect(objectInsteadOfList.errcode == "M_BAD_JSON")
            let remote = try await client.client(
                .post, "/keys/query", token: alice.token, body: ["device_keys": ["@bob:elsewhere.example": []]])
            #expect(remote.status == 200)
            #expect(remote["failures"]?["elsewhere.example"] != nil)
            #expect(remote["device_keys"] == [:])
        }
    }

    @Test func claimsFollowUploadOrderThenFallBack() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let keys = DeviceKeyFactory(alice)
            let k1 = keys.signedKey()
            let k0 = keys.signedKey()
            let fallback = keys.signedKey(fallback: true)
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: ["device_keys": keys.deviceKeys(), "one_time_keys": ["signed_curve25519:1": k1]])
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: [
                    "one_time_keys": ["signed_curve25519:0": k0], "fallback_keys": ["signed_curve25519:FB": fallback],
                ])
            let body: JSONValue = [
                "one_time_keys": .object([alice.userID: .object([alice.deviceID: "signed_curve25519"])])
            ]
            let first = try await client.client(.post, "/keys/claim", token: bob.token, body: body)
            #expect(first["one_time_keys"]?[alice.userID]?[alice.deviceID] == ["signed_curve25519:1": k1])
            #expect(first["failures"] == [:])
            let second = try await client.client(.post, "/keys/claim", token: bob.token, body: body)
            #expect(second["one_time_keys"]?[alice.userID]?[alice.deviceID] == ["signed_curve25519:0": k0])
            let third = try await client.client(.post, "/keys/claim", token: bob.token, body: body)
            #expect(third["one_time_keys"]?[alice.userID]?[alice.deviceID] == ["signed_curve25519:FB": fallback])
            #expect(fallback["fallback"] == true)
            let fourth = try await client.client(.post, "/keys/claim", token: bob.token, body: body)
            #expect(fourth["one_time_keys"]?[alice.userID]?[alice.deviceID] == ["signed_curve25519:FB": fallback])
            let unknownDevice = try await client.client(
                .post, "/keys/claim", token: bob.token,
                body: ["one_time_keys": .object([alice.userID: ["NOSUCH": "signed_curve25519"]])])
            #expect(unknownDevice["one_time_keys"] == [:])
            let remote = try await client.client(
                .post, "/keys/claim", token: bob.token,
                body: ["one_time_keys": ["@x:far.example": ["D": "signed_curve25519"]]])
            #expect(remote["failures"]?["far.example"] != nil)
            let badShape = try await client.client(
                .post, "/keys/claim", token: bob.token, body: ["one_time_keys": .object([alice.userID: ["D": 5]])])
            #expect(badShape.errcode == "M_BAD_JSON")
        }
    }

    @Test func keyChangesReportsOwnChangesBetweenTokens() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let keys = DeviceKeyFactory(alice)
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["device_keys": keys.deviceKeys()])
            let later = try await client.client(.get, "/keys/changes?from=s0_0_0&to=s1000_0_0", token: alice.token)
            #expect(later["changed"] == [.string(alice.userID)])
            #expect(later["left"] == [])
            let missing = try await client.client(.get, "/keys/changes?from=s0_0_0", token: alice.token)
            #expect(missing.status == 400)
            let invalid = try await client.client(.get, "/keys/changes?from=garbage&to=s1_0_0", token: alice.token)
            #expect(invalid.status == 400)
        }
    }
}
