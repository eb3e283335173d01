import Foundation
import Hummingbird
import MatrixModel
import Testing

/// A restart over the same data directory keeps accounts, tokens, keys and the server's own key.
@Suite struct PersistenceTests {
    /// What the first run leaves behind for the second to compare.
    struct FirstRun: Sendable {
        var user: TestUser
        var query: JSONValue
        var fallbackKeyID: String
    }

    @Test func everythingSurvivesARestart() async throws {
        let dataDirectory = TestServer.temporaryDirectory()
        let config = TestServer.config(dataDirectory: dataDirectory)
        let signingKeyPath = dataDirectory + "/signing.key"
        let captured = Captured<FirstRun>()

        try await TestServer.run(config: config) { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let device = DeviceKeyFactory(alice.user)
            let keys = try await alice.uploadKeys(
                deviceKeys: device.deviceKeys(), oneTimeKeys: device.oneTimeKeys(count: 5),
                fallbackKeys: ["signed_curve25519:FALLBACK": device.signedKey(fallback: true)])
            try #require(keys.status == 200, "keys/upload failed: \(keys.body)")
            #expect(keys["one_time_key_counts"]?["signed_curve25519"] == 5)
            let master = CrossSigningKeyFactory(userID: alice.user.userID, usage: "master")
            let selfSigning = CrossSigningKeyFactory(userID: alice.user.userID, usage: "self_signing")
            let signing = try await alice.uploadSigningKeys(
                master: master.object(), selfSigning: selfSigning.object(signedBy: master))
            try #require(signing.status == 200, "device_signing/upload failed: \(signing.body)")
            let query = try await alice.query([alice.user.userID])
            try #require(query["master_keys"]?[alice.user.userID] == master.object())
            await captured.set(FirstRun(user: alice.user, query: query, fallbackKeyID: "signed_curve25519:FALLBACK"))
        }

        let signingKeyBefore = try String(contentsOfFile: signingKeyPath, encoding: .utf8)
        #expect(!signingKeyBefore.isEmpty)
        let first = try #require(await captured.value)

        try await TestServer.run(config: config) { client in
            let alice = SigningSession(client, first.user)
            let whoami = try await client.client(.get, "/account/whoami", token: first.user.token)
            #expect(whoami.status == 200, "\(whoami.body)")
            #expect(whoami["user_id"]?.stringValue == first.user.userID)
            #expect(whoami["device_id"]?.stringValue == first.user.deviceID)

            let query = try await alice.query([first.user.userID])
            let userID = first.user.userID
            #expect(query["device_keys"]?[userID] == first.query["device_keys"]?[userID])
            #expect(query["device_keys"]?[userID]?[first.user.deviceID] != nil)
            #expect(query["master_keys"]?[userID] == first.query["master_keys"]?[userID])
            #expect(query["self_signing_keys"]?[userID] == first.query["self_signing_keys"]?[userID])

            let counts = try await alice.uploadKeys()
            #expect(counts.status == 200)
            #expect(counts["one_time_key_counts"]?["signed_curve25519"] == 5)

            // The stored keys are still claimable: five one-time keys, then the fallback key.
            let bob = try await client.register("bob")
            var claimed: [String] = []
            for _ in 0..<6 {
                let reply = try await client.client(
                    .post, "/keys/claim", token: bob.token,
                    body: ["one_time_keys": [userID: [first.user.deviceID: "signed_curve25519"]]])
                #expect(reply.status == 200)
                claimed += reply["one_time_keys"]?[userID]?[first.user.deviceID]?.objectValue?.keys.sorted() ?? []
            }
            #expect(claimed.count == 6)
            #expect(Set(claimed.prefix(5)).count == 5)
            #expect(claimed.prefix(5).allSatisfy { $0.hasPrefix("signed_curve25519:AAAA") })
            #expect(claimed.last == first.fallbackKeyID)
        }

        let signingKeyAfter = try String(contentsOfFile: signingKeyPath, encoding: .utf8)
        #expect(signingKeyAfter == signingKeyBefore)
    }
}
