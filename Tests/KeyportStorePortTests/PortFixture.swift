import KeyportStore
import KeyportStoreConformance
import MatrixModel

/// A deployment's worth of data of every kind, written through the store APIs as a server would:
/// accounts (admin, without password, deactivated), devices and tokens, device keys, one-time
/// keys (some claimed) and fallback keys (one used), cross-signing keys and signatures, to-device
/// messages (some acknowledged, so the stream's high-water mark lies above every row left),
/// device-list changes, rooms with state, messages, aliases and filters, a room as a graph of PDUs
/// (`PortFixture+RoomGraph`), the federation queues
/// (some EDUs and PDUs sent), the device-list fan-out, remote device lists (one stale), inbound
/// transactions, server keys and user-interactive-auth state.
enum PortFixture {
    static let dave = "@dave:example.com"
    static let erin = "@erin:example.com"
    static let remoteUser = "@rita:remote.example"
    static let staleRemoteUser = "@sam:stale.example"
    static let room = "!room:example.com"
    static let otherRoom = "!other:example.com"
    static let localUsers = [alice, bob, carol, dave, erin]
    static let remoteUsers = [remoteUser, staleRemoteUser]
    static let devices: [(user: String, device: String)] = [
        (alice, "A1"), (alice, "A2"), (bob, "B1"), (carol, "C1"), (dave, "D1"),
    ]
    static let tokenHashes = devices.map { "token-\($0.user)-\($0.device)" } + ["token-\(erin)-E1"]
    static let destinations = ["remote.example", "stale.example", "gone.example"]
    static let authSession = "uia-session-1"
    /// More one-time keys than a store write is attempted times (30): a PostgreSQL sequence left
    /// behind the copied keys would make every upload collide until the writes give up.
    static let oneTimeKeysPerDevice = 8
    static let nonce = "nonce-1"

    static func fill(_ store: any KeyportStorage) async throws {
        try await accountsAndDevices(store)
        try await keys(store)
        try await crossSigning(store)
        try await rooms(store)
        try await roomGraph(store)
        try await toDevice(store)
        try await federation(store)
        try await remoteDeviceLists(store)
        try await authState(store)
        try await accountDataAndProfiles(store)
        try await keyBackup(store)
        try await dehydratedDevice(store)
    }

    private static func accountsAndDevices(_ store: any KeyportStorage) async throws {
        try await store.createAccount(
            AccountRecord(userID: alice, passwordHash: "pbkdf2-sha256$1$c2FsdA$aGFzaA", isAdmin: true, createdAt: 1_000)
        )
        try await store.createAccount(
            AccountRecord(userID: bob, passwordHash: "pbkdf2-sha256$1$Yg$Yg", createdAt: 1_001))
        try await store.createAccount(
            AccountRecord(userID: carol, passwordHash: "pbkdf2-sha256$1$Yw$Yw", createdAt: 1_002))
        try await store.createAccount(AccountRecord(userID: dave, passwordHash: nil, createdAt: 1_003))
        try await store.createAccount(
            AccountRecord(userID: erin, passwordHash: "pbkdf2-sha256$1$ZQ$ZQ", createdAt: 1_004))
        for (user, device) in devices {
            try await login(store, user, device, displayName: "\(device)'s phone")
        }
        try await store.createSession(
            userID: alice, deviceID: "A1", initialDisplayName: nil, tokenHash: "second-token-A1", now: 3_000)
        try await store.touchDevice(userID: alice, deviceID: "A1", ip: "192.0.2.1", now: 4_000)
        try await store.touchDevice(userID: bob, deviceID: "B1", ip: "2001:db8::1", now: 4_001)
        _ = try await store.setDisplayName(userID: carol, deviceID: "C1", displayName: nil)
        try await login(store, erin, "E1")
        _ = try await store.deactivateAccount(userID: erin)
    }

    private static func keys(_ store: any KeyportStorage) async throws {
        for (user, device) in devices where user != dave {
            _ = try await store.uploadKeys(
                upload(
                    user, device, deviceKeys: deviceKeys(user, device, ed25519: "ED-\(device)", curve: "CU-\(device)"),
                    otks: (1...oneTimeKeysPerDevice).map { otk("\(device)-\($0)") } + [
                        otk("\(device)-x", algorithm: "curve25519")
                    ],
                    fallbacks: [otk("\(device)-fallback")]))
        }
        // Claimed keys stay in the table, marked; B1's fallback key is handed out once its
        // one-time keys are gone.
        _ = try await store.claimKeys([claimTarget(alice, "A1"), claimTarget(bob, "B1")], now: 5_000)
        for _ in 0..<oneTimeKeysPerDevice { _ = try await store.claimKeys([claimTarget(bob, "B1")], now: 5_001) }
        // Uploaded again with new device keys: a device-list change of its own.
        _ = try await store.uploadKeys(
            upload(alice, "A2", deviceKeys: deviceKeys(alice, "A2", ed25519: "ED-A2", curve: "CU-A2-new")))
    }

    private static func crossSigning(_ store: any KeyportStorage) async throws {
        for user in [alice, bob] {
            try await store.setCrossSigningKeys(
                userID: user,
                keys: CrossSigningUsage.allCases.map { usage in
                    let publicKey = "\(usage.rawValue)-\(user)"
                    return CrossSigningKeyRecord(
                        usage: usage, publicKey: publicKey,
                        object: [
                            "user_id": .string(user), "usage": [.string(usage.rawValue)],
                            "keys": ["ed25519:\(publicKey)": .string(publicKey)],
                        ])
                })
        }
        try await store.addSignatures([
            KeySignature(
                targetUserID: alice, targetKeyID: "A1", signerUserID: alice,
                signerKeyID: "ed25519:self_signing-\(alice)", signature: "SIG-A1"),
            KeySignature(
                targetUserID: bob, targetKeyID: "master-\(bob)", signerUserID: alice,
                signerKeyID: "ed25519:user_signing-\(alice)", signature: "SIG-BOB"),
            KeySignature(
                targetUserID: alice, targetKeyID: "master-\(alice)", signerUserID: alice, signerKeyID: "ed25519:A1",
                signature: "SIG-MASTER"),
        ])
    }

    private static func rooms(_ store: any KeyportStorage) async throws {
        try await store.createRoom(roomID: room, version: "10", creator: alice, now: 6_000)
        try await store.createRoom(roomID: otherRoom, version: "10", creator: bob, now: 6_001)
        func event(
            _ id: String, _ roomID: String, _ type: String, stateKey: String? = nil, sender: String,
            content: JSONObject, transaction: ClientTransaction? = nil
        ) -> RoomEvent {
            RoomEvent(
                eventID: "$\(id)", roomID: roomID, type: type, stateKey: stateKey, sender: sender, content: content,
                originServerTS: 1_700_000_000_000, transaction: transaction)
        }
        _ = try await store.appendEvents([
            event("create", room, "m.room.create", stateKey: "", sender: alice, content: ["creator": .string(alice)]),
            event("alice-join", room, "m.room.member", stateKey: alice, sender: alice, content: ["membership": "join"]),
            event(
                "encryption", room, "m.room.encryption", stateKey: "", sender: alice,
                content: ["algorithm": "m.megolm.v1.aes-sha2"]),
            event("bob-invite", room, "m.room.member", stateKey: bob, sender: alice, content: ["membership": "invite"]),
        ])
        _ = try await store.appendEvents([
            event("bob-join", room, "m.room.member", stateKey: bob, sender: bob, content: ["membership": "join"]),
            event(
                "rita-join", room, "m.room.member", stateKey: remoteUser, sender: remoteUser,
                content: ["membership": "join"]),
        ])
        _ = try await store.appendEvents([
            event(
                "hello", room, "m.room.encrypted", sender: alice,
                content: ["ciphertext": "AwgA", "n": .double(1.5), "list": [true, nil, "x"]],
                transaction: ClientTransaction(userID: alice, deviceID: "A1", transactionID: "txn-1"))
        ])
        _ = try await store.appendEvents([
            event("create2", otherRoom, "m.room.create", stateKey: "", sender: bob, content: ["creator": .string(bob)]),
            event("bob-join2", otherRoom, "m.room.member", stateKey: bob, sender: bob, content: ["membership": "join"]),
            event(
                "carol-join2", otherRoom, "m.room.member", stateKey: carol, sender: carol,
                content: ["membership": "join"]),
            event(
                "carol-leave2", otherRoom, "m.room.member", stateKey: carol, sender: carol,
                content: ["membership": "leave"]),
        ])
        try await store.setMembership(roomID: otherRoom, userID: staleRemoteUser, membership: "join")
        try await store.createAlias("#room:example.com", roomID: room)
        _ = try await store.saveFilter(userID: alice, filter: ["room": ["timeline": ["limit": 10]]])
        _ = try await store.saveFilter(userID: alice, filter: ["presence": ["not_types": ["*"]]])
    }

    private static func toDevice(_ store: any KeyportStorage) async throws {
        func send(_ sender: String, to user: String, _ device: String, _ n: Int, txn: String? = nil) async throws {
            _ = try await store.sendToDevice(
                ToDeviceBatch(
                    sender: sender, type: "m.room_key_request",
                    local: [ToDeviceBatch.Delivery(userID: user, deviceID: device, content: ["n": .int(Int64(n))])],
                    remote: [:],
                    transaction: txn.map { ClientTransaction(userID: sender, deviceID: "A1", transactionID: $0) }),
                now: 7_000)
        }
        try await send(alice, to: bob, "B1", 1, txn: "td-1")
        try await send(alice, to: alice, "*", 2, txn: "td-2")
        try await send(bob, to: carol, "C1", 3)
        // Remote recipients: an EDU queued for federation.
        _ = try await store.sendToDevice(
            ToDeviceBatch(
                sender: alice, type: "m.room.encrypted", local: [],
                remote: [
                    "remote.example": [
                        ["sender": .string(alice), "type": "m.room.encrypted", "message_id": "m-1", "messages": [:]]
                    ]
                ], transaction: ClientTransaction(userID: alice, deviceID: "A1", transactionID: "td-3")),
            now: 7_001)
        // Received over federation: remembered by origin and message_id.
        _ = try await store.sendToDevice(
            ToDeviceBatch(
                sender: remoteUser, type: "m.room.encrypted",
                local: [ToDeviceBatch.Delivery(userID: alice, deviceID: "A2", content: ["from": "far"])], remote: [:],
                transaction: nil, federatedMessage: FederatedMessageID(origin: "remote.example", messageID: "fed-1")),
            now: 7_002)
        // The newest messages are acknowledged: the stream's high-water mark lies above every row left.
        try await send(bob, to: dave, "D1", 4)
        try await send(bob, to: dave, "D1", 5)
        try await store.deleteToDeviceMessages(
            userID: dave, deviceID: "D1", upTo: try await store.currentToDevicePosition())
    }

    private static func federation(_ store: any KeyportStorage) async throws {
        try await store.storeServerKeys([
            ServerKeyRecord(
                serverName: "remote.example", keyID: "ed25519:a", publicKey: "KA", validUntilTS: 9_000, expiredTS: nil),
            ServerKeyRecord(
                serverName: "remote.example", keyID: "ed25519:old", publicKey: "KO", validUntilTS: 1, expiredTS: 2),
        ])
        try await store.recordTransaction(
            origin: "remote.example", transactionID: "t-1", response: #"{"pdus":{}}"#, now: 8_000)
        _ = try await store.enqueueDeviceListFanOut(
            [
                QueuedEDU(
                    destination: "remote.example", type: "m.device_list_update",
                    content: ["user_id": .string(alice), "device_id": "A1", "stream_id": 3])
            ], from: 0, upTo: 3, now: 8_002)
        try await store.enqueueEDUs(
            [
                QueuedEDU(destination: "stale.example", type: "m.typing", content: ["n": 1]),
                QueuedEDU(destination: "gone.example", type: "m.direct_to_device", content: ["n": 2]),
                QueuedEDU(destination: "gone.example", type: "m.direct_to_device", content: ["n": 3]),
            ], now: 8_001)
        // The newest EDUs were sent: the queue's high-water mark lies above every row left.
        guard
            let lease = try await store.acquireLease(
                "federation-sender:gone.example", holder: "old/1", now: 8_003, duration: 1)
        else { throw StoreError.conflict("the lease of a fresh store is free") }
        _ = try await store.deleteQueuedEDUs(
            ids: try await store.queuedEDUs(destination: "gone.example", limit: 10).map(\.id), under: lease)
        // Room events queued for other servers, one stored without a PDU; gone.example's newest
        // entries were sent, so the PDU queue's high-water mark too lies above every entry left.
        try await store.enqueuePDUs(
            eventIDs: ["$g-create", "$g-join", "$g-power"], destinations: ["remote.example", "gone.example"],
            now: 8_006)
        try await store.enqueuePDUs(eventIDs: ["$hello", "$g-topic"], destinations: ["gone.example"], now: 8_007)
        let sentPDUs = try await store.queuedPDUs(destination: "gone.example", limit: 10).filter {
            ["$g-power", "$g-topic"].contains($0.eventID)
        }
        _ = try await store.deleteQueuedPDUs(ids: sentPDUs.map(\.id), under: lease)
        try await store.setDestinationRetry(
            DestinationRetry(
                destination: "stale.example", failureTS: 8_004, retryLastTS: 8_005, retryInterval: 600_000,
                failures: 2))
        // An application service with a transaction waiting for its acknowledgement, and one with none.
        let start = AppServicePositions(roomEvents: 1, toDevice: 1, deviceLists: 1)
        _ = try await store.startAppService(serviceID: "bridge", at: start)
        _ = try await store.storePendingAppServiceTransaction(
            serviceID: "bridge", from: start, body: #"{"events":[]}"#,
            positions: AppServicePositions(roomEvents: 3, toDevice: 2, deviceLists: 4), deliveredToDevice: [2])
        try await store.recordAppServiceFailure(serviceID: "bridge", failures: 1, retryAt: 9_000)
        _ = try await store.startAppService(serviceID: "idle", at: start)
    }

    private static func accountDataAndProfiles(_ store: any KeyportStorage) async throws {
        try await store.setAccountData(
            userID: alice, roomID: nil, type: "m.secret_storage.default_key", content: ["key": "k1"])
        try await store.setAccountData(userID: alice, roomID: room, type: "m.tag", content: ["tags": [:]])
        try await store.setAccountData(
            userID: alice, roomID: nil, type: "m.secret_storage.default_key", content: ["key": "k2"])
        _ = try await store.setProfile(userID: bob, Profile(displayName: "Bob B.", avatarURL: "mxc://b/c"))
    }

    private static func dehydratedDevice(_ store: any KeyportStorage) async throws {
        try await store.putDehydratedDevice(
            keys: upload(
                carol, "DEHYDRATED", deviceKeys: deviceKeys(carol, "DEHYDRATED", ed25519: "ED-DH", curve: "CU-DH"),
                otks: [otk("DH-1")], fallbacks: [otk("DH-fallback")]),
            deviceData: ["algorithm": "m.dehydration.v1.olm", "device_pickle": "P"], displayName: "dehydrated",
            now: 9_500)
    }

    private static func keyBackup(_ store: any KeyportStorage) async throws {
        let old = try await store.createBackupVersion(
            userID: alice, algorithm: "m.megolm_backup.v1.curve25519-aes-sha2", authData: ["public_key": "P1"])
        _ = try await store.deleteBackupVersion(userID: alice, version: old)
        let current = try await store.createBackupVersion(
            userID: alice, algorithm: "m.megolm_backup.v1.curve25519-aes-sha2", authData: ["public_key": "P2"])
        _ = try await store.storeBackupKeys(
            userID: alice, version: current,
            sessions: ["S1", "S2"].map { session in
                KeyBackupSession(
                    roomID: room, sessionID: session,
                    data: KeyBackupData(
                        firstMessageIndex: 1, forwardedCount: 0, isVerified: session == "S1",
                        sessionData: ["ciphertext": .string("c-\(session)")]))
            }, maxSessions: 100)
    }

    private static func remoteDeviceLists(_ store: any KeyportStorage) async throws {
        try await store.replaceRemoteDeviceList(
            RemoteDeviceList(
                userID: remoteUser, streamID: 10, stale: false,
                devices: [
                    RemoteDevice(deviceID: "R1", displayName: "rita's laptop", keys: ["device_id": "R1"]),
                    RemoteDevice(deviceID: "R2", displayName: nil, keys: nil),
                ], masterKey: ["usage": ["master"]], selfSigningKey: nil))
        _ = try await store.applyRemoteDeviceUpdate(
            RemoteDeviceUpdate(
                userID: remoteUser, deviceID: "R3", streamID: 11, prevIDs: [10], deleted: false, displayName: "new",
                keys: ["device_id": "R3"]))
        try await store.updateRemoteCrossSigningKeys(
            userID: remoteUser, master: nil, selfSigning: ["usage": ["self_signing"]])
        try await store.markRemoteDeviceListStale(userID: staleRemoteUser)
    }

    private static func authState(_ store: any KeyportStorage) async throws {
        try await store.createAuthSession(id: authSession, now: 9_000)
        try await store.completeAuthStage(id: authSession, stage: "m.login.dummy")
        try await store.completeAuthStage(id: authSession, stage: "m.login.password")
        try await store.createAuthSession(id: "uia-session-2", now: 9_001)
        try await store.storeRegistrationNonce(nonce, now: 9_002)
    }
}
