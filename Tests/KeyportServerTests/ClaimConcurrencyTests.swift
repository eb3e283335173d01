import Hummingbird
import HummingbirdTesting
import MatrixModel
import Testing

/// `POST /keys/claim` under load: each one-time key is handed out exactly once, then the fallback key.
@Suite struct ClaimConcurrencyTests {
    @Test func concurrentClaimsHandOutEachOneTimeKeyOnce() async throws {
        try await TestServer.run { client in
            let alice = SigningSession(client, try await client.register("alice"))
            let device = DeviceKeyFactory(alice.user)
            let fallbackKeyID = "signed_curve25519:FALLBACK"
            let fallbackKey = device.signedKey(fallback: true)
            let upload = try await alice.uploadKeys(
                deviceKeys: device.deviceKeys(), oneTimeKeys: device.oneTimeKeys(count: 100),
                fallbackKeys: [fallbackKeyID: fallbackKey])
            try #require(upload.status == 200, "keys/upload failed: \(upload.body)")
            try #require(upload["one_time_key_counts"]?["signed_curve25519"] == 100)
            let bob = try await client.register("bob")

            // Several connections, so claims really run side by side rather than pipelined on one.
            let userID = alice.user.userID
            let deviceID = alice.user.deviceID
            let body: JSONValue = ["one_time_keys": [userID: [deviceID: "signed_curve25519"]]]
            let replies = try await client.withExtraConnections(10) { connections in
                try await withThrowingTaskGroup(of: MatrixClient.Reply.self) { group in
                    for index in 0..<500 {
                        let connection = connections[index % connections.count]
                        group.addTask { try await connection.send(.post, "/keys/claim", token: bob.token, body: body) }
                    }
                    var replies: [MatrixClient.Reply] = []
                    for try await reply in group { replies.append(reply) }
                    return replies
                }
            }

            #expect(replies.count == 500)
            #expect(replies.allSatisfy { $0.status == 200 })
            var oneTimeKeyIDs: [String] = []
            var fallbackCount = 0
            for reply in replies {
                let keys = reply.body["one_time_keys"]?[userID]?[deviceID]?.objectValue ?? [:]
                #expect(keys.count == 1, "\(reply.body)")
                guard let (keyID, key) = keys.first else { continue }
                if keyID == fallbackKeyID {
                    fallbackCount += 1
                    #expect(key == fallbackKey)
                } else {
                    oneTimeKeyIDs.append(keyID)
                }
            }
            #expect(oneTimeKeyIDs.count == 100)
            #expect(Set(oneTimeKeyIDs).count == 100)
            #expect(Set(oneTimeKeyIDs) == Set((0..<100).map { "signed_curve25519:AAAA\($0)" }))
            #expect(fallbackCount == 400)

            let counts = try await alice.uploadKeys()
            #expect(counts["one_time_key_counts"]?["signed_curve25519"] == 0)
        }
    }
}
