import Foundation
import Hummingbird
import KeyportFederation
import KeyportServer
import MatrixModel
import MatrixSigning
import Testing

/// Inbound federation is refused unless signed by the origin's current key for us, and a server
/// speaks only for its own users; a transaction is applied once.
@Suite(.serialized)
struct FederationAuthTests {
    static func toDeviceTransaction(origin: String, sender: String, to user: TestUser, messageID: String, text: String)
        -> JSONObject
    {
        [
            "origin": .string(origin), "origin_server_ts": 1, "pdus": [],
            "edus": [
                [
                    "edu_type": "m.direct_to_device",
                    "content": [
                        "sender": .string(sender), "type": "m.test", "message_id": .string(messageID),
                        "messages": .object([user.userID: .object([user.deviceID: ["text": .string(text)]])]),
                        "org.matrix.opentracing_context": "{}",
                    ],
                ]
            ],
        ]
    }

    @Test func forgedRequestsAreRefused() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await FederationProbe.with { probe in
            try await serverA.run { a in
                try await serverB.run { _ in
                    let alice = try await a.register("alice")
                    let since = try await a.position(alice)
                    let keyB = try serverB.signingKey()
                    let query: JSONObject = ["device_keys": .object([alice.userID: []])]
                    let path = "/_matrix/federation/v1/user/keys/query"

                    let good = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "POST", path: path, body: query)
                    #expect(good.status == 200, "a correctly signed request is accepted: \(good.body)")

                    let unsigned = try await probe.send(
                        port: serverA.tlsPort, method: "POST", path: path, body: query, authorization: nil)
                    #expect(unsigned.status == 401)
                    #expect(unsigned.body["errcode"] == "M_UNAUTHORIZED")

                    let wrongDestination = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "POST", path: path, body: query,
                        destination: "someone-else.example")
                    #expect(wrongDestination.status == 401)

                    let impostor = try SigningKey(version: keyB.version, seed: Array(repeating: 7, count: 32))
                    let badSignature = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: impostor, method: "POST", path: path, body: query)
                    #expect(badSignature.status == 401)

                    let unknownKey = try SigningKey(version: "unknown", seed: keyB.seed)
                    let unknown = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: unknownKey, method: "POST", path: path, body: query)
                    #expect(unknown.status == 401)

                    // The signature covers the body: a changed body does not verify.
                    let authorization = try RequestSignature.authorization(
                        method: "POST", uri: path, origin: serverB.serverName, destination: serverA.serverName,
                        content: .object(query), key: keyB)
                    let tampered = try await probe.send(
                        port: serverA.tlsPort, method: "POST", path: path,
                        body: ["device_keys": .object(["@other:\(serverA.serverName)": []])],
                        authorization: authorization.headerValue)
                    #expect(tampered.status == 401)

                    // A forged transaction carries a to-device message; nothing is delivered.
                    let forged = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: impostor, method: "PUT",
                        path: "/_matrix/federation/v1/send/forged1",
                        body: Self.toDeviceTransaction(
                            origin: serverB.serverName, sender: "@bob:\(serverB.serverName)", to: alice,
                            messageID: "f1",
                            text: "forged"))
                    #expect(forged.status == 401)
                    let after = try await a.sync(alice, since: since, timeout: 500)
                    #expect(after["to_device"]?["events"]?.arrayValue?.isEmpty ?? true)
                }
            }
        }
    }

    @Test func foreignUsersAreDroppedAndTransactionsApplyOnce() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await FederationProbe.with { probe in
            try await serverA.run { a in
                try await serverB.run { _ in
                    let alice = try await a.register("alice")
                    var since = try await a.position(alice)
                    let keyB = try serverB.signingKey()
                    let bob = "@bob:\(serverB.serverName)"
                    func send(_ txn: String, sender: String, messageID: String, text: String) async throws -> Int {
                        try await probe.signed(
                            to: serverA, from: serverB.serverName, key: keyB, method: "PUT",
                            path: "/_matrix/federation/v1/send/\(txn)",
                            body: Self.toDeviceTransaction(
                                origin: serverB.serverName, sender: sender, to: alice, messageID: messageID, text: text)
                        ).status
                    }
                    #expect(
                        try await send("t1", sender: "@mallory:elsewhere.example", messageID: "m0", text: "foreign")
                            == 200)
                    #expect(try await send("t2", sender: bob, messageID: "m1", text: "once") == 200)
                    #expect(
                        try await send("t2", sender: bob, messageID: "m1", text: "once") == 200, "a retried transaction"
                    )
                    #expect(
                        try await send("t3", sender: bob, messageID: "m1", text: "once") == 200, "the same message_id")
                    var texts: [String] = []
                    for _ in 0..<3 {
                        let reply = try await a.sync(alice, since: since, timeout: 300)
                        since = try #require(reply["next_batch"]?.stringValue)
                        texts += (reply["to_device"]?["events"]?.arrayValue ?? []).compactMap {
                            $0["content"]?["text"]?.stringValue
                        }
                    }
                    #expect(texts == ["once"], "the foreign sender is dropped, the repeat is delivered once")

                    let tooMany = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "PUT",
                        path: "/_matrix/federation/v1/send/big",
                        body: [
                            "origin": .string(serverB.serverName), "origin_server_ts": 1,
                            "pdus": .array(Array(repeating: [:], count: 51)),
                        ])
                    #expect(tooMany.status == 400)
                    #expect(tooMany.body["errcode"] == "M_BAD_JSON")

                    let devicesOfOthers = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "GET",
                        path: "/_matrix/federation/v1/user/devices/\(bob.addingPercentEncodingForQuery())")
                    #expect(devicesOfOthers.status == 400, "only local users' devices are served")
                    let devices = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "GET",
                        path: "/_matrix/federation/v1/user/devices/\(alice.userID.addingPercentEncodingForQuery())")
                    #expect(devices.status == 200)
                    #expect(devices.body["user_id"] == .string(alice.userID))
                }
            }
        }
    }
}
