import KeyportStore
import MatrixModel
import Testing

/// `DeviceStore.deleteDevices`: the cascade and the changes it records.
enum DeviceDeletionChecks {
    static let all: [StoreCheck] = [
        StoreCheck("device: deleteDevices cascades to tokens and keys", cascade),
        StoreCheck("device: deleteDevices returns and records only existing devices", existingOnly),
        StoreCheck("device: a re-created device starts without its old keys", recreate),
    ]

    /// Alice has D1 and D2 with tokens and keys; Bob has D1 with keys.
    static func populated(_ makeStore: StoreFactory) async throws -> any KeyportStorage {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        for (userID, deviceID) in [(alice, "D1"), (alice, "D2"), (bob, "D1")] {
            try await login(store, userID, deviceID)
            _ = try await store.uploadKeys(
                upload(
                    userID, deviceID, deviceKeys: deviceKeys(userID, deviceID, ed25519: "ed-\(userID)-\(deviceID)"),
                    otks: [otk("A"), otk("B")], fallbacks: [otk("F")]))
        }
        return store
    }

    static func cascade(_ makeStore: StoreFactory) async throws {
        let store = try await populated(makeStore)
        try await store.createSession(
            userID: alice, deviceID: "D1", initialDisplayName: nil, tokenHash: "second", now: 3)
        let deleted = try await store.deleteDevices(userID: alice, deviceIDs: ["D1"])
        #expect(deleted == ["D1"])

        #expect(try await store.device(userID: alice, deviceID: "D1") == nil)
        #expect(try await store.session(tokenHash: "token-\(alice)-D1") == nil)
        #expect(try await store.session(tokenHash: "second") == nil)
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D1") == nil)
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D1") == [:])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D1") == [])
        #expect(try await store.claimKeys([claimTarget(alice, "D1")], now: 9) == [])
        #expect(try await store.queryDevices([alice: ["D1"]]) == [alice: []])

        // Alice's other device and Bob's device of the same ID are untouched.
        for (userID, deviceID) in [(alice, "D2"), (bob, "D1")] {
            #expect(
                try await store.session(tokenHash: "token-\(userID)-\(deviceID)")
                    == SessionRecord(userID: userID, deviceID: deviceID))
            #expect(
                try await store.deviceKeys(userID: userID, deviceID: deviceID)?["keys"]?["ed25519:\(deviceID)"]
                    == .string("ed-\(userID)-\(deviceID)"))
            #expect(try await store.oneTimeKeyCounts(userID: userID, deviceID: deviceID) == ["signed_curve25519": 2])
            #expect(try await store.unusedFallbackKeyTypes(userID: userID, deviceID: deviceID) == ["signed_curve25519"])
        }
        #expect(try await store.devices(userID: alice).map(\.deviceID) == ["D2"])
    }

    static func existingOnly(_ makeStore: StoreFactory) async throws {
        let store = try await populated(makeStore)
        let position = try await store.currentDeviceListPosition()
        let deleted = try await store.deleteDevices(userID: alice, deviceIDs: ["NOPE", "D2", "D1", "D2"])
        #expect(deleted.sorted() == ["D1", "D2"])
        let recorded = try await changes(store, after: position)
        #expect(summary(recorded).sorted() == ["\(alice) device D1", "\(alice) device D2"])

        let again = try await store.currentDeviceListPosition()
        #expect(try await store.deleteDevices(userID: alice, deviceIDs: ["D1", "NOPE"]) == [])
        #expect(try await store.deleteDevices(userID: carol, deviceIDs: ["D1"]) == [])
        #expect(try await store.deleteDevices(userID: alice, deviceIDs: []) == [])
        #expect(try await changes(store, after: again) == [])
        #expect(try await store.devices(userID: bob).map(\.deviceID) == ["D1"])
    }

    static func recreate(_ makeStore: StoreFactory) async throws {
        let store = try await populated(makeStore)
        try await store.deleteDevices(userID: alice, deviceIDs: ["D1"])
        try await login(store, alice, "D1")
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D1") == [:])
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D1") == nil)
        // Old key IDs and identity key are gone: re-using them with new content is no conflict.
        let counts = try await store.uploadKeys(
            upload(
                alice, "D1", deviceKeys: deviceKeys(alice, "D1", ed25519: "new-identity"),
                otks: [otk("A", content: "new")]))
        #expect(counts == ["signed_curve25519": 1])
        let claimed = try await store.claimKeys([claimTarget(alice, "D1")], now: 1)
        #expect(claimed.map(\.key) == [otk("A", content: "new")])
    }
}
