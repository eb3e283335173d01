import KeyportStore
import MatrixModel
import Testing

extension StoreConformance {
    /// Data written through one store is there, unchanged, in a store opened later on the same
    /// storage. `open` must open the same storage every time it is called.
    public static func dataSurvivesReopening(open: StoreFactory) async throws {
        let keys = deviceKeys(alice, "D")
        let signature = KeySignature(
            targetUserID: alice, targetKeyID: "D", signerUserID: alice, signerKeyID: "ed25519:SSK", signature: "s")
        let crossSigning = CrossSigningChecks.fullSet(alice)
        let backedUpKey = KeyBackupChecks.key(3, 1, verified: true)
        let position: Int64
        do {
            let store = try await open()
            try await store.createAccount(
                AccountRecord(userID: alice, passwordHash: "hash", isAdmin: true, createdAt: 7))
            try await login(store, alice, "D", displayName: "Phone")
            try await store.touchDevice(userID: alice, deviceID: "D", ip: "192.0.2.1", now: 42)
            _ = try await store.uploadKeys(
                upload(alice, "D", deviceKeys: keys, otks: [otk("A"), otk("B")], fallbacks: [otk("F")]))
            _ = try await store.claimKeys([claimTarget(alice, "D")], now: 1)
            try await store.setCrossSigningKeys(userID: alice, keys: crossSigning)
            try await store.addSignatures([signature])
            try await store.setMembership(roomID: "!r:x", userID: alice, membership: "join")
            try await store.setMembership(roomID: "!r:x", userID: bob, membership: "join")
            try await RoomGraphChecks.seed(store)
            try await store.enqueuePDUs(eventIDs: ["$join"], destinations: ["d.example"], now: 3)
            position = try await store.currentDeviceListPosition()
            _ = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: KeyBackupChecks.authData)
            #expect(try await store.deleteBackupVersion(userID: alice, version: 1))
            _ = try await store.createBackupVersion(userID: alice, algorithm: "m.b", authData: [:])
            _ = try await KeyBackupChecks.store(store, 2, [KeyBackupChecks.session("!r:x", "S", backedUpKey)])
        }

        let store = try await open()
        #expect(
            try await store.account(userID: alice)
                == AccountRecord(userID: alice, passwordHash: "hash", isAdmin: true, createdAt: 7))
        #expect(try await store.session(tokenHash: "token-\(alice)-D") == SessionRecord(userID: alice, deviceID: "D"))
        #expect(
            try await store.devices(userID: alice) == [
                DeviceRecord(
                    userID: alice, deviceID: "D", displayName: "Phone", lastSeenIP: "192.0.2.1", lastSeenTS: 42)
            ])
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D") == keys.object)
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == ["signed_curve25519": 1])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == ["signed_curve25519"])
        #expect(
            try await store.crossSigningKeys(userID: alice)
                == Dictionary(uniqueKeysWithValues: crossSigning.map { ($0.usage, $0) }))
        #expect(try await store.signatures(targetUserIDs: [alice]) == [signature])
        #expect(try await store.usersSharingRoom(with: alice) == [bob])
        #expect(try await store.currentDeviceListPosition() == position)
        #expect(try await store.deviceListChanges(from: 0, to: position).count >= 5)
        #expect(
            try await store.backupVersion(userID: alice, version: nil)
                == KeyBackupVersion(version: 2, algorithm: "m.b", authData: [:], etag: 1, count: 1))
        #expect(
            try await store.backupKeys(userID: alice, version: 2, scope: .all)
                == [KeyBackupChecks.session("!r:x", "S", backedUpKey)])
        #expect(try await store.createBackupVersion(userID: alice, algorithm: "m.c", authData: [:]) == 3)
        let queued = try await store.queuedPDUs(destination: "d.example", limit: 10)
        #expect(queued.map(\.eventID) == ["$join"], "a queued PDU is still queued")
        #expect(
            queued.first?.pdu
                == RoomGraphChecks.event(
                    "join", type: "m.room.member", stateKey: alice,
                    content: ["membership": "join"], prev: ["$create"], auth: ["$create"], depth: 2
                ).pdu)

        // Claimed keys stay claimed and the stream continues after the old position.
        #expect(try await store.claimKeys([claimTarget(alice, "D")], now: 2).map(\.key) == [otk("B")])
        #expect(try await store.setMembership(roomID: "!r:x", userID: carol, membership: "join") > position)
    }
}
