import Hummingbird
import MatrixModel
import Testing

/// `POST /keys/upload`: what is accepted, what is refused, and that refusals store nothing.
@Suite struct KeyUploadTests {
    @Test func validUploadReportsCountsWithSignedCurve25519Always() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let keys = DeviceKeyFactory(alice)
            let empty = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["device_keys": keys.deviceKeys()])
            #expect(empty.status == 200)
            #expect(empty["one_time_key_counts"] == ["signed_curve25519": 0])
            let reply = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: [
                    "one_time_keys": keys.oneTimeKeys(count: 5),
                    "fallback_keys": ["signed_curve25519:FB": keys.signedKey(fallback: true)],
                ])
            #expect(reply["one_time_key_counts"] == ["signed_curve25519": 5])
            let custom = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["one_time_keys": ["my_algorithm:my_id_1": "opaque"]])
            #expect(custom["one_time_key_counts"] == ["signed_curve25519": 5, "my_algorithm": 1])
        }
    }

    @Test func invalidDeviceKeysAreRefused() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let keys = DeviceKeyFactory(alice)
            var missing = keys.deviceKeys()
            missing["algorithms"] = nil
            let noAlgorithms = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["device_keys": missing])
            #expect(noAlgorithms.status == 400)
            #expect(noAlgorithms.errcode == "M_BAD_JSON")
            var noSignatures = keys.deviceKeys()
            noSignatures["signatures"] = nil
            #expect(
                try await client.client(.post, "/keys/upload", token: alice.token, body: ["device_keys": noSignatures])
                    .errcode
                    == "M_BAD_JSON")
            let foreign = DeviceKeyFactory(userID: bob.userID, deviceID: alice.deviceID)
            let wrongUser = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["device_keys": foreign.deviceKeys()])
            #expect(wrongUser.status == 400)
            #expect(wrongUser.errcode == "M_INVALID_PARAM")
            let otherDevice = DeviceKeyFactory(userID: alice.userID, deviceID: "SOMEOTHER")
            #expect(
                try await client.client(
                    .post, "/keys/upload", token: alice.token, body: ["device_keys": otherDevice.deviceKeys()]
                )
                .status == 400)
            var tampered = keys.deviceKeys()
            tampered["algorithms"] = ["m.olm.v1.curve25519-aes-sha2"]
            let badSignature = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["device_keys": tampered])
            #expect(badSignature.status == 400)
            #expect(badSignature.errcode == "M_INVALID_PARAM")
            // Nothing was stored by any of these.
            let query = try await client.client(
                .post, "/keys/query", token: bob.token, body: ["device_keys": .object([alice.userID: []])])
            #expect(query["device_keys"]?[alice.userID] == [:])
        }
    }

    @Test func identityKeyCannotChange() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let first = DeviceKeyFactory(alice)
            #expect(
                try await client.client(
                    .post, "/keys/upload", token: alice.token, body: ["device_keys": first.deviceKeys()]
                ).status == 200)
            #expect(
                try await client.client(
                    .post, "/keys/upload", token: alice.token, body: ["device_keys": first.deviceKeys()]
                ).status == 200)
            let second = DeviceKeyFactory(alice)
            let reply = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: ["device_keys": second.deviceKeys(), "one_time_keys": second.oneTimeKeys(count: 2)])
            #expect(reply.status == 400)
            let counts = try await client.client(.post, "/keys/upload", token: alice.token, body: [:])
            #expect(counts["one_time_key_counts"] == ["signed_curve25519": 0])
        }
    }

    @Test func oneTimeKeysMustBeSignedByTheDevice() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let keys = DeviceKeyFactory(alice)
            let stranger = DeviceKeyFactory(userID: alice.userID, deviceID: alice.deviceID)
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["device_keys": keys.deviceKeys()])
            let forged = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: [
                    "one_time_keys": [
                        "signed_curve25519:A": keys.signedKey(), "signed_curve25519:B": stranger.signedKey(),
                    ]
                ])
            #expect(forged.status == 400)
            #expect(forged.errcode == "M_INVALID_PARAM")
            let unsigned = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: ["one_time_keys": ["signed_curve25519:C": ["key": "abc"]]])
            #expect(unsigned.status == 400)
            let fallback = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: ["fallback_keys": ["signed_curve25519:F": stranger.signedKey(fallback: true)]])
            #expect(fallback.status == 400)
            let counts = try await client.client(.post, "/keys/upload", token: alice.token, body: [:])
            #expect(counts["one_time_key_counts"] == ["signed_curve25519": 0])
        }
    }

    @Test func reuploadIsIdempotentAndConflictsAreRefusedWhole() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let keys = DeviceKeyFactory(alice)
            let a = keys.signedKey()
            let b = keys.signedKey()
            let c = keys.signedKey()
            let d = keys.signedKey()
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["device_keys": keys.deviceKeys()])
            let first = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: ["one_time_keys": ["signed_curve25519:A": a, "signed_curve25519:B": b, "signed_curve25519:C": c]])
            #expect(first["one_time_key_counts"] == ["signed_curve25519": 3])
            let overlap = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: ["one_time_keys": ["signed_curve25519:B": b, "signed_curve25519:C": c, "signed_curve25519:D": d]])
            #expect(overlap.status == 200)
            #expect(overlap["one_time_key_counts"] == ["signed_curve25519": 4])
            let conflict = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: ["one_time_keys": ["signed_curve25519:A": d, "signed_curve25519:E": keys.signedKey()]])
            #expect(conflict.status == 400)
            #expect(conflict["error"]?.stringValue?.contains("signed_curve25519:A") == true)
            let counts = try await client.client(.post, "/keys/upload", token: alice.token, body: [:])
            #expect(counts["one_time_key_counts"] == ["signed_curve25519": 4])
        }
    }

    @Test func aClaimedKeyUploadedAgainIsNotHandedOutTwice() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let keys = DeviceKeyFactory(alice)
            let key = keys.signedKey()
            _ = try await client.client(
                .post, "/keys/upload", token: alice.token,
                body: ["device_keys": keys.deviceKeys(), "one_time_keys": ["signed_curve25519:ONCE": key]])
            let claimBody: JSONValue = [
                "one_time_keys": .object([alice.userID: .object([alice.deviceID: "signed_curve25519"])])
            ]
            let claimed = try await client.client(.post, "/keys/claim", token: bob.token, body: claimBody)
            #expect(claimed["one_time_keys"]?[alice.userID]?[alice.deviceID]?["signed_curve25519:ONCE"] == key)
            // The client lost the response and uploads the same key again.
            let again = try await client.client(
                .post, "/keys/upload", token: alice.token, body: ["one_time_keys": ["signed_curve25519:ONCE": key]])
            #expect(again.status == 200)
            #expect(again["one_time_key_counts"] == ["signed_curve25519": 0])
            let second = try await client.client(.post, "/keys/claim", token: bob.token, body: claimBody)
            #expect(second["one_time_keys"] == [:])
        }
    }
}
