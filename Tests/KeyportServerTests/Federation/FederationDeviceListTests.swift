import Foundation
import Hummingbird
import KeyportServer
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Device-list updates across servers: a gap in `prev_id` makes the receiver resync from
/// `GET /user/devices`; a known `prev_id` is applied directly; a local change goes out to the
/// servers sharing a room. Room memberships of remote users are seeded through the store, as
/// federated rooms do not exist yet.
@Suite(.serialized)
struct FederationDeviceListTests {
    /// Puts the users in one room, as the server at `databasePath` sees it.
    static func shareRoom(_ databasePath: String, _ userIDs: [String]) async throws {
        let store = try SQLiteStore(path: databasePath)
        for userID in userIDs {
            _ = try await store.setMembership(roomID: "!shared:test", userID: userID, membership: "join")
        }
    }

    static func deviceUpdate(
        user: String, device: String, streamID: Int64, prevIDs: [Int64], name: String,
        keys: JSONValue = ["device_keys": [:]]
    ) -> JSONObject {
        [
            "origin": "x", "origin_server_ts": 1, "pdus": [],
            "edus": [
                [
                    "edu_type": "m.device_list_update",
                    "content": [
                        "user_id": .string(user), "device_id": .string(device), "stream_id": .int(streamID),
                        "prev_id": .array(prevIDs.map { .int($0) }), "device_display_name": .string(name),
                        "keys": keys,
                    ],
                ]
            ],
        ]
    }

    @Test func gapTriggersResyncThenUpdatesApplyDirectly() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await FederationProbe.with { probe in
            try await serverA.run { a in
                try await serverB.run { b in
                    let alice = try await a.register("alice")
                    let (bob, bobKeys, _) = try await FederationKeysTests.userWithKeys(b, "bob")
                    try await Self.shareRoom(serverA.databasePath, [alice.userID, bob.userID])
                    let since = try await a.position(alice)
                    let keyB = try serverB.signingKey()

                    let gap = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "PUT",
                        path: "/_matrix/federation/v1/send/gap1",
                        body: Self.deviceUpdate(
                            user: bob.userID, device: "GHOST", streamID: 1000, prevIDs: [999], name: "x"))
                    #expect(gap.status == 200)
                    let store = try SQLiteStore(path: serverA.databasePath)
                    try await eventually("alice's server resyncs bob from /user/devices") {
                        guard let list = try await store.remoteDeviceList(userID: bob.userID) else { return false }
                        return !list.stale && list.devices.map(\.deviceID) == [bob.deviceID]
                    }
                    let cached = try #require(try await store.remoteDeviceList(userID: bob.userID))
                    #expect(
                        cached.devices.first?.keys == bobKeys.deviceKeys().objectValue,
                        "the resync brought bob's real keys"
                    )
                    let changed = try await a.sync(alice, since: since, timeout: 1000)
                    #expect(changed["device_lists"]?["changed"]?.arrayValue?.contains(.string(bob.userID)) == true)

                    // The next update names the resync's stream_id: applied before the answer, no fetch.
                    let renamed = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "PUT",
                        path: "/_matrix/federation/v1/send/next1",
                        body: Self.deviceUpdate(
                            user: bob.userID, device: bob.deviceID, streamID: cached.streamID + 1,
                            prevIDs: [cached.streamID],
                            name: "Bob's phone", keys: bobKeys.deviceKeys()))
                    #expect(renamed.status == 200)
                    let applied = try #require(try await store.remoteDeviceList(userID: bob.userID))
                    #expect(!applied.stale)
                    #expect(applied.devices.first?.displayName == "Bob's phone")
                    let query = try await a.client(
                        .post, "/keys/query", token: alice.token, body: ["device_keys": .object([bob.userID: []])])
                    #expect(query["failures"] == [:])
                    #expect(
                        query["device_keys"]?[bob.userID]?[bob.deviceID]?["unsigned"]?["device_display_name"]
                            == "Bob's phone")

                    // Keys that do not verify are not believed: the list is fetched again instead.
                    let odd = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "PUT",
                        path: "/_matrix/federation/v1/send/odd1",
                        body: Self.deviceUpdate(
                            user: bob.userID, device: bob.deviceID, streamID: cached.streamID + 2,
                            prevIDs: [cached.streamID + 1], name: "odd"))
                    #expect(odd.status == 200)
                    try await eventually("the odd update is followed by a resync") {
                        guard let list = try await store.remoteDeviceList(userID: bob.userID) else { return false }
                        return !list.stale && list.devices.first?.keys == bobKeys.deviceKeys().objectValue
                    }

                    // An update about a user of another server is ignored.
                    let foreign = try await probe.signed(
                        to: serverA, from: serverB.serverName, key: keyB, method: "PUT",
                        path: "/_matrix/federation/v1/send/foreign1",
                        body: Self.deviceUpdate(
                            user: alice.userID, device: "EVIL", streamID: 5, prevIDs: [], name: "evil"))
                    #expect(foreign.status == 200)
                    #expect(try await store.remoteDeviceList(userID: alice.userID) == nil)
                    let own = try await a.client(.get, "/devices", token: alice.token)
                    #expect(own["devices"]?.arrayValue?.count == 1)
                    _ = b
                }
            }
        }
    }

    @Test func localChangesReachServersSharingARoom() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let (alice, _, _) = try await FederationKeysTests.userWithKeys(a, "alice")
                let bob = try await b.register("bob")
                try await Self.shareRoom(serverA.databasePath, [alice.userID, bob.userID])
                try await Self.shareRoom(serverB.databasePath, [alice.userID, bob.userID])
                // bob's server learns alice's list (a first query of a tracked user resyncs it).
                let first = try await b.client(
                    .post, "/keys/query", token: bob.token, body: ["device_keys": .object([alice.userID: []])])
                #expect(first["device_keys"]?[alice.userID]?.objectValue?.count == 1, "\(first.body)")
                let since = try await b.position(bob)

                // alice logs in a second device with keys: an m.device_list_update goes to bob's server.
                let laptop = try await a.login(alice, deviceID: "LAPTOP")
                let laptopKeys = DeviceKeyFactory(laptop)
                _ = try await a.client(
                    .post, "/keys/upload", token: laptop.token, body: ["device_keys": laptopKeys.deviceKeys()])
                try await eventually("bob sees alice's new device") {
                    let reply = try await b.client(
                        .post, "/keys/query", token: bob.token, body: ["device_keys": .object([alice.userID: []])])
                    return reply["device_keys"]?[alice.userID]?["LAPTOP"]?["keys"] != nil
                }
                let changed = try await b.sync(bob, since: since, timeout: 1000)
                #expect(changed["device_lists"]?["changed"]?.arrayValue?.contains(.string(alice.userID)) == true)

                // Deleting the device tells bob's server too.
                let deleted = try await a.client(
                    .post, "/delete_devices", token: alice.token,
                    body: ["devices": ["LAPTOP"], "auth": alice.passwordAuth])
                #expect(deleted.status == 200)
                try await eventually("bob's server drops the deleted device") {
                    let reply = try await b.client(
                        .post, "/keys/query", token: bob.token, body: ["device_keys": .object([alice.userID: []])])
                    return reply["device_keys"]?[alice.userID]?["LAPTOP"] == nil
                        && reply["device_keys"]?[alice.userID]?[alice.deviceID] != nil
                }
            }
        }
    }

    @Test func joiningARoomSendsTheJoinersListToItsServers() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let (alice, _, _) = try await FederationKeysTests.userWithKeys(a, "alice")
                let bob = try await b.register("bob")
                // bob's server already has bob in the room; then alice joins it on her server.
                try await Self.shareRoom(serverB.databasePath, [bob.userID, alice.userID])
                try await Self.shareRoom(serverA.databasePath, [bob.userID])
                try await Self.shareRoom(serverA.databasePath, [alice.userID])
                let storeB = try SQLiteStore(path: serverB.databasePath)
                try await eventually("bob's server receives alice's list without asking") {
                    guard let list = try await storeB.remoteDeviceList(userID: alice.userID) else { return false }
                    return !list.stale && list.devices.map(\.deviceID) == [alice.deviceID]
                }
            }
        }
    }

    @Test func signingKeyUpdatesAreCheckedAndCached() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await FederationProbe.with { probe in
            try await serverA.run { a in
                try await serverB.run { _ in
                    let alice = try await a.register("alice")
                    let bob = "@bob:\(serverB.serverName)"
                    try await Self.shareRoom(serverA.databasePath, [alice.userID, bob])
                    let since = try await a.position(alice)
                    let keyB = try serverB.signingKey()
                    let master = CrossSigningKeyFactory(userID: bob, usage: "master")
                    let selfSigning = CrossSigningKeyFactory(userID: bob, usage: "self_signing")
                    let forgedSelfSigning = CrossSigningKeyFactory(userID: bob, usage: "self_signing")
                    func send(_ txn: String, _ content: JSONValue) async throws -> Int {
                        try await probe.signed(
                            to: serverA, from: serverB.serverName, key: keyB, method: "PUT",
                            path: "/_matrix/federation/v1/send/\(txn)",
                            body: [
                                "origin": .string(serverB.serverName), "origin_server_ts": 1, "pdus": [],
                                "edus": [["edu_type": "m.signing_key_update", "content": content]],
                            ]
                        ).status
                    }
                    // A self-signing key not signed by the master key is refused; the master is kept.
                    #expect(
                        try await send(
                            "s1",
                            [
                                "user_id": .string(bob), "master_key": master.object(),
                                "self_signing_key": forgedSelfSigning.object(),
                            ])
                            == 200)
                    let store = try SQLiteStore(path: serverA.databasePath)
                    var cached = try #require(try await store.remoteDeviceList(userID: bob))
                    #expect(cached.masterKey == master.object().objectValue)
                    #expect(cached.selfSigningKey == nil)
                    #expect(
                        try await send(
                            "s2", ["user_id": .string(bob), "self_signing_key": selfSigning.object(signedBy: master)])
                            == 200)
                    cached = try #require(try await store.remoteDeviceList(userID: bob))
                    #expect(cached.selfSigningKey == selfSigning.object(signedBy: master).objectValue)
                    let changed = try await a.sync(alice, since: since, timeout: 1000)
                    #expect(changed["device_lists"]?["changed"]?.arrayValue?.contains(.string(bob)) == true)
                }
            }
        }
    }

    @Test func crossSigningAndDeviceSignaturesReachOtherServers() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let (bob, bobKeys, _) = try await FederationKeysTests.userWithKeys(b, "bob")
                try await Self.shareRoom(serverA.databasePath, [alice.userID, bob.userID])
                try await Self.shareRoom(serverB.databasePath, [alice.userID, bob.userID])
                let aliceView = SigningSession(a, alice)
                _ = try await aliceView.query([bob.userID])

                let master = CrossSigningKeyFactory(userID: bob.userID, usage: "master")
                let selfSigning = CrossSigningKeyFactory(userID: bob.userID, usage: "self_signing")
                let bobSession = SigningSession(b, bob)
                let upload = try await bobSession.uploadSigningKeys(
                    master: master.object(), selfSigning: selfSigning.object(signedBy: master))
                #expect(upload.status == 200, "\(upload.body)")
                try await eventually("alice's server learns bob's cross-signing keys") {
                    let answer = try await aliceView.query([bob.userID])
                    return answer["master_keys"]?[bob.userID]?["keys"] == master.object()["keys"]
                        && answer["self_signing_keys"]?[bob.userID]?["keys"] == selfSigning.object()["keys"]
                }

                let signed = selfSigning.sign(bobKeys.deviceKeys())
                let signatures = try await bobSession.uploadSignatures(
                    .object([bob.userID: .object([bob.deviceID: signed])]))
                #expect(signatures["failures"] == [:], "\(signatures.body)")
                try await eventually("alice's server sees bob's device signed by his self-signing key") {
                    let answer = try await aliceView.query([bob.userID])
                    let device = answer["device_keys"]?[bob.userID]?[bob.deviceID]
                    return signature(of: device, by: bob.userID, key: selfSigning.keyID) != nil
                }
            }
        }
    }
}
