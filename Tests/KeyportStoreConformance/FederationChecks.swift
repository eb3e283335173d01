import KeyportStore
import MatrixModel
import Testing

/// `ServerKeyStore`, `FederationStore` and `RemoteDeviceStore` contracts.
enum FederationChecks {
    static let all: [StoreCheck] = [
        StoreCheck("federation: server keys are cached by key ID and replaced", serverKeys),
        StoreCheck("federation: a transaction's reply is recorded", transactionReplies),
        StoreCheck("federation: a repeated message_id from the same origin is stored once", toDeviceDedup),
        StoreCheck("federation: queue order puts to-device first, limit and delete", outboundQueue),
        StoreCheck("federation: device-list fan-out chains prev_id per destination and user", prevIDChain),
        StoreCheck("federation: a fan-out from a position already passed queues nothing", fanOutClaim),
        StoreCheck("federation: sent EDUs are deleted only while the lease is held", deleteUnderLease),
        StoreCheck("federation: remote servers sharing a room", remoteServers),
        StoreCheck("federation: a remote update applies only after its prev_id was seen", remoteUpdates),
        StoreCheck("federation: a resync replaces the list and clears the stale mark", remoteResync),
        StoreCheck("federation: remote changes appear in the device-list stream", remoteChangesStream),
    ]

    static let remoteUser = "@rita:remote.example"

    static func serverKeys(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.serverKeys(serverName: "a.example").isEmpty)
        try await store.storeServerKeys([
            ServerKeyRecord(
                serverName: "a.example", keyID: "ed25519:1", publicKey: "K1", validUntilTS: 10, expiredTS: nil),
            ServerKeyRecord(
                serverName: "a.example", keyID: "ed25519:0", publicKey: "K0", validUntilTS: 5, expiredTS: 5),
            ServerKeyRecord(
                serverName: "b.example", keyID: "ed25519:1", publicKey: "KB", validUntilTS: 10, expiredTS: nil),
        ])
        try await store.storeServerKeys([
            ServerKeyRecord(
                serverName: "a.example", keyID: "ed25519:1", publicKey: "K1", validUntilTS: 99, expiredTS: nil)
        ])
        let keys = try await store.serverKeys(serverName: "a.example")
        #expect(keys.map(\.keyID) == ["ed25519:0", "ed25519:1"])
        #expect(keys.first { $0.keyID == "ed25519:1" }?.validUntilTS == 99)
        #expect(keys.first { $0.keyID == "ed25519:0" }?.expiredTS == 5)
    }

    static func transactionReplies(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.transactionResponse(origin: "a.example", transactionID: "t1") == nil)
        try await store.recordTransaction(origin: "a.example", transactionID: "t1", response: #"{"pdus":{}}"#, now: 1)
        #expect(try await store.transactionResponse(origin: "a.example", transactionID: "t1") == #"{"pdus":{}}"#)
        #expect(try await store.transactionResponse(origin: "b.example", transactionID: "t1") == nil)
    }

    static func toDeviceDedup(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "A")
        func receive(_ origin: String, _ messageID: String) async throws -> Set<String>? {
            try await store.sendToDevice(
                ToDeviceBatch(
                    sender: remoteUser, type: "m.room.encrypted",
                    local: [.init(userID: alice, deviceID: "A", content: ["n": .string(messageID)])], remote: [:],
                    transaction: nil, federatedMessage: FederatedMessageID(origin: origin, messageID: messageID)),
                now: 1_000)
        }
        #expect(try await receive("remote.example", "m1") == [alice])
        #expect(try await receive("remote.example", "m1") == nil, "the same message_id again is dropped")
        #expect(try await receive("other.example", "m1") == [alice], "message_id is scoped to the origin")
        let inbox = try await store.toDeviceMessages(userID: alice, deviceID: "A", after: 0, upTo: .max, limit: 100)
        #expect(inbox.count == 2)
    }

    static func outboundQueue(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.enqueueEDUs(
            [
                QueuedEDU(destination: "d.example", type: "m.device_list_update", content: ["n": 1]),
                QueuedEDU(destination: "d.example", type: "m.direct_to_device", content: ["n": 2]),
                QueuedEDU(destination: "e.example", type: "m.direct_to_device", content: ["n": 3]),
                QueuedEDU(destination: "d.example", type: "m.device_list_update", content: ["n": 4]),
                QueuedEDU(destination: "d.example", type: "m.direct_to_device", content: ["n": 5]),
            ], now: 1)
        #expect(try await store.destinationsWithQueuedEDUs() == ["d.example", "e.example"])
        let queued = try await store.queuedEDUs(destination: "d.example", limit: 100)
        #expect(queued.map { $0.content["n"]?.intValue } == [2, 5, 1, 4])
        let firstTwo = try await store.queuedEDUs(destination: "d.example", limit: 2)
        #expect(firstTwo.map { $0.content["n"]?.intValue } == [2, 5])
        let lease = try #require(try await store.acquireLease("sender:d", holder: "p1", now: 1, duration: 1_000))
        #expect(try await store.deleteQueuedEDUs(ids: firstTwo.map(\.id), under: lease))
        #expect(
            try await store.queuedEDUs(destination: "d.example", limit: 100).map { $0.content["n"]?.intValue } == [
                1, 4,
            ])
        #expect(try await store.queuedEDUs(destination: "e.example", limit: 100).count == 1)
    }

    static func prevIDChain(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.deviceListFanOutPosition() == 0)
        func update(_ destination: String, _ userID: String, _ streamID: Int64) -> QueuedEDU {
            QueuedEDU(
                destination: destination, type: "m.device_list_update",
                content: ["user_id": .string(userID), "device_id": "D", "stream_id": .int(streamID)])
        }
        #expect(
            try await store.enqueueDeviceListFanOut(
                [update("d.example", alice, 3), update("e.example", alice, 3), update("d.example", bob, 4)], from: 0,
                upTo: 4, now: 1))
        #expect(
            try await store.enqueueDeviceListFanOut(
                [update("d.example", alice, 7), update("d.example", bob, 8), update("d.example", alice, 9)], from: 4,
                upTo: 9, now: 2))
        #expect(try await store.deviceListFanOutPosition() == 9)
        let sent = try await store.queuedEDUs(destination: "d.example", limit: 100).map {
            (
                $0.content["user_id"]?.stringValue ?? "", $0.content["stream_id"]?.intValue ?? 0,
                $0.content["prev_id"]?.arrayValue?.compactMap(\.intValue) ?? [-1]
            )
        }
        #expect(sent.map(\.0) == [alice, bob, alice, bob, alice])
        #expect(sent.map(\.2) == [[], [], [3], [4], [7]], "each user's chain references only its own previous EDU")
        let other = try await store.queuedEDUs(destination: "e.example", limit: 100)
        #expect(other.first?.content["prev_id"] == .array([]))
    }

    static func fanOutClaim(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        let edu = QueuedEDU(
            destination: "d.example", type: "m.device_list_update",
            content: ["user_id": .string(alice), "device_id": "D", "stream_id": 3])
        #expect(try await !store.enqueueDeviceListFanOut([edu], from: 2, upTo: 5, now: 1), "the position is 0, not 2")
        #expect(try await store.deviceListFanOutPosition() == 0)
        #expect(try await store.enqueueDeviceListFanOut([edu], from: 0, upTo: 5, now: 1))
        #expect(
            try await !store.enqueueDeviceListFanOut([edu], from: 0, upTo: 5, now: 1),
            "another process already queued this range")
        #expect(try await !store.enqueueDeviceListFanOut([edu], from: 3, upTo: 7, now: 1))
        #expect(try await store.deviceListFanOutPosition() == 5)
        #expect(try await store.queuedEDUs(destination: "d.example", limit: 100).count == 1, "queued once")
    }

    static func deleteUnderLease(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.enqueueEDUs([QueuedEDU(destination: "d.example", type: "m.test", content: ["n": 1])], now: 1)
        let queued = try await store.queuedEDUs(destination: "d.example", limit: 10)
        let old = try #require(try await store.acquireLease("sender:d", holder: "p1", now: 0, duration: 100))
        // p1 stalls past its expiry; p2 takes over.
        _ = try #require(try await store.acquireLease("sender:d", holder: "p2", now: 200, duration: 100))
        #expect(try await !store.deleteQueuedEDUs(ids: queued.map(\.id), under: old), "p1's lease is gone")
        #expect(try await store.queuedEDUs(destination: "d.example", limit: 10) == queued, "left for p2 to send")
    }

    static func remoteServers(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.setMembership(roomID: "!r:example.com", userID: alice, membership: "join")
        try await store.setMembership(roomID: "!r:example.com", userID: remoteUser, membership: "join")
        try await store.setMembership(roomID: "!r:example.com", userID: "@x:invited.example", membership: "invite")
        try await store.setMembership(roomID: "!s:example.com", userID: "@y:other.example", membership: "join")
        try await store.setMembership(roomID: "!t:example.com", userID: alice, membership: "join")
        try await store.setMembership(roomID: "!t:example.com", userID: "@z:third.example", membership: "join")
        try await store.setMembership(roomID: "!t:example.com", userID: "@z:third.example", membership: "leave")
        let servers = try await store.remoteServersSharingRoom(with: alice, localServer: "example.com")
        #expect(servers == ["remote.example"])
    }

    static func device(_ id: String, name: String? = nil) -> RemoteDevice {
        RemoteDevice(deviceID: id, displayName: name, keys: ["device_id": .string(id)])
    }

    static func remoteUpdates(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        let first = RemoteDeviceUpdate(
            userID: remoteUser, deviceID: "D1", streamID: 1, prevIDs: [], deleted: false, displayName: "one", keys: nil)
        #expect(try await store.applyRemoteDeviceUpdate(first) == false, "nothing cached: resync needed")
        #expect(try await store.staleRemoteDeviceLists() == [remoteUser])
        try await store.replaceRemoteDeviceList(
            RemoteDeviceList(
                userID: remoteUser, streamID: 1, stale: false, devices: [device("D1")], masterKey: nil,
                selfSigningKey: nil))
        #expect(try await store.staleRemoteDeviceLists().isEmpty)
        let second = RemoteDeviceUpdate(
            userID: remoteUser, deviceID: "D2", streamID: 2, prevIDs: [1], deleted: false, displayName: "two",
            keys: ["device_id": "D2"])
        #expect(try await store.applyRemoteDeviceUpdate(second) == true)
        var list = try #require(try await store.remoteDeviceList(userID: remoteUser))
        #expect(list.devices.map(\.deviceID) == ["D1", "D2"])
        #expect(list.devices.last?.displayName == "two")
        let deletion = RemoteDeviceUpdate(
            userID: remoteUser, deviceID: "D1", streamID: 3, prevIDs: [2], deleted: true, displayName: nil, keys: nil)
        #expect(try await store.applyRemoteDeviceUpdate(deletion) == true)
        list = try #require(try await store.remoteDeviceList(userID: remoteUser))
        #expect(list.devices.map(\.deviceID) == ["D2"])
        let gap = RemoteDeviceUpdate(
            userID: remoteUser, deviceID: "D3", streamID: 6, prevIDs: [5], deleted: false, displayName: nil, keys: nil)
        #expect(try await store.applyRemoteDeviceUpdate(gap) == false, "prev_id 5 was never seen")
        list = try #require(try await store.remoteDeviceList(userID: remoteUser))
        #expect(list.stale)
        #expect(list.devices.map(\.deviceID) == ["D2"], "a gap changes nothing until the resync")
        let afterGap = RemoteDeviceUpdate(
            userID: remoteUser, deviceID: "D4", streamID: 7, prevIDs: [6], deleted: false, displayName: nil, keys: nil)
        #expect(try await store.applyRemoteDeviceUpdate(afterGap) == false, "a stale list takes no updates")
    }

    static func remoteResync(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await store.markRemoteDeviceListStale(userID: remoteUser)
        try await store.replaceRemoteDeviceList(
            RemoteDeviceList(
                userID: remoteUser, streamID: 10, stale: true, devices: [device("A"), device("B", name: "bee")],
                masterKey: ["usage": ["master"]], selfSigningKey: nil))
        let list = try #require(try await store.remoteDeviceList(userID: remoteUser))
        #expect(!list.stale)
        #expect(list.streamID == 10)
        #expect(list.devices.map(\.deviceID) == ["A", "B"])
        #expect(list.masterKey?["usage"] == ["master"])
        let next = RemoteDeviceUpdate(
            userID: remoteUser, deviceID: "C", streamID: 11, prevIDs: [10], deleted: false, displayName: nil, keys: nil)
        #expect(try await store.applyRemoteDeviceUpdate(next) == true, "the resync's stream_id counts as seen")
        try await store.updateRemoteCrossSigningKeys(
            userID: remoteUser, master: ["usage": ["master"], "n": 2], selfSigning: ["usage": ["self_signing"]])
        let updated = try #require(try await store.remoteDeviceList(userID: remoteUser))
        #expect(updated.masterKey?["n"] == 2)
        #expect(updated.selfSigningKey != nil)
        try await store.forgetRemoteDeviceList(userID: remoteUser)
        #expect(try await store.remoteDeviceList(userID: remoteUser) == nil)
    }

    static func remoteChangesStream(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        let start = try await store.currentDeviceListPosition()
        try await store.replaceRemoteDeviceList(
            RemoteDeviceList(
                userID: remoteUser, streamID: 1, stale: false, devices: [device("A")], masterKey: nil,
                selfSigningKey: nil))
        _ = try await store.applyRemoteDeviceUpdate(
            RemoteDeviceUpdate(
                userID: remoteUser, deviceID: "B", streamID: 2, prevIDs: [1], deleted: false, displayName: nil,
                keys: nil))
        try await store.updateRemoteCrossSigningKeys(userID: remoteUser, master: ["n": 1], selfSigning: nil)
        let changes = try await store.deviceListChanges(from: start, to: try await store.currentDeviceListPosition())
        #expect(changes.map(\.userID) == [remoteUser, remoteUser, remoteUser])
        #expect(changes.map(\.kind) == [.device, .device, .crossSigning])
        #expect(try await store.latestDeviceListStreamID(userID: alice) == 0)
    }
}
