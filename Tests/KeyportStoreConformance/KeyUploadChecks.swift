import KeyportStore
import MatrixModel
import Testing

/// `KeyStore.uploadKeys`, counts and queries.
enum KeyUploadChecks {
    static let all: [StoreCheck] = [
        StoreCheck("keys: device keys are stored and changes recorded", deviceKeysStored),
        StoreCheck("keys: a changed identity key stores nothing", identityKeyChanged),
        StoreCheck("keys: a re-uploaded identical one-time key is skipped", identicalSkipped),
        StoreCheck("keys: a conflicting one-time key stores nothing", conflictStoresNothing),
        StoreCheck("keys: claimed key IDs are remembered", claimedRemembered),
        StoreCheck("keys: counts are per device and algorithm", counts),
        StoreCheck("keys: queryDevices", query),
    ]

    static func deviceKeysStored(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        var position = try await store.currentDeviceListPosition()
        let keys = deviceKeys(alice, "D")
        #expect(try await store.uploadKeys(upload(alice, "D", deviceKeys: keys)) == [:])
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D") == keys.object)
        #expect(summary(try await changes(store, after: position)) == ["\(alice) device D"])

        position = try await store.currentDeviceListPosition()
        _ = try await store.uploadKeys(upload(alice, "D", deviceKeys: keys))
        #expect(try await changes(store, after: position) == [])

        let newCurve = deviceKeys(alice, "D", curve: "OTHER-CURVE")
        _ = try await store.uploadKeys(upload(alice, "D", deviceKeys: newCurve))
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D") == newCurve.object)
        #expect(summary(try await changes(store, after: position)) == ["\(alice) device D"])
        #expect(try await store.deviceKeys(userID: alice, deviceID: "OTHER") == nil)
    }

    static func identityKeyChanged(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        let original = deviceKeys(alice, "D", ed25519: "IDENTITY-1")
        _ = try await store.uploadKeys(upload(alice, "D", deviceKeys: original, otks: [otk("A")]))
        let position = try await store.currentDeviceListPosition()

        await #expect(throws: StoreError.identityKeyChanged) {
            try await store.uploadKeys(
                upload(
                    alice, "D", deviceKeys: deviceKeys(alice, "D", ed25519: "IDENTITY-2", curve: "NEW"),
                    otks: [otk("B")], fallbacks: [otk("F")]))
        }
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D") == original.object)
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == ["signed_curve25519": 1])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == [])
        #expect(try await changes(store, after: position) == [])
    }

    static func identicalSkipped(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        #expect(try await store.uploadKeys(upload(alice, "D", otks: [otk("A"), otk("B")])) == ["signed_curve25519": 2])
        #expect(try await store.uploadKeys(upload(alice, "D", otks: [otk("B"), otk("C")])) == ["signed_curve25519": 3])
        let claimed = try await store.claimKeys(Array(repeating: claimTarget(alice, "D"), count: 4), now: 1)
        #expect(claimed.map(\.key.keyID) == ["signed_curve25519:A", "signed_curve25519:B", "signed_curve25519:C"])
    }

    static func conflictStoresNothing(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        let original = deviceKeys(alice, "D")
        _ = try await store.uploadKeys(upload(alice, "D", deviceKeys: original, otks: [otk("A")]))
        let position = try await store.currentDeviceListPosition()

        await #expect(throws: StoreError.keyConflict(keyID: "signed_curve25519:A")) {
            try await store.uploadKeys(
                upload(
                    alice, "D", deviceKeys: deviceKeys(alice, "D", curve: "CHANGED"),
                    otks: [otk("B"), otk("A", content: "different"), otk("C")], fallbacks: [otk("F")]))
        }
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == ["signed_curve25519": 1])
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D") == original.object)
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == [])
        #expect(try await changes(store, after: position) == [])
        // The same ID twice within one upload: identical is fine, different content conflicts.
        await #expect(throws: StoreError.keyConflict(keyID: "signed_curve25519:N")) {
            try await store.uploadKeys(upload(alice, "D", otks: [otk("M"), otk("N"), otk("N", content: "other")]))
        }
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == ["signed_curve25519": 1])
        #expect(try await store.uploadKeys(upload(alice, "D", otks: [otk("M"), otk("M")])) == ["signed_curve25519": 2])

        let claimed = try await store.claimKeys(Array(repeating: claimTarget(alice, "D"), count: 3), now: 1)
        #expect(claimed.map(\.key) == [otk("A"), otk("M")])
    }

    static func claimedRemembered(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        _ = try await store.uploadKeys(upload(alice, "D", otks: [otk("A")]))
        #expect(try await store.claimKeys([claimTarget(alice, "D")], now: 1).map(\.key) == [otk("A")])

        #expect(try await store.uploadKeys(upload(alice, "D", otks: [otk("A")])) == [:])
        #expect(try await store.claimKeys([claimTarget(alice, "D")], now: 2) == [])

        await #expect(throws: StoreError.keyConflict(keyID: "signed_curve25519:A")) {
            try await store.uploadKeys(upload(alice, "D", otks: [otk("A", content: "reused id")]))
        }
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == [:])
    }

    static func counts(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        for (userID, deviceID) in [(alice, "D"), (alice, "E"), (bob, "D")] { try await login(store, userID, deviceID) }
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == [:])
        let counts = try await store.uploadKeys(
            upload(alice, "D", otks: [otk("A"), otk("B"), otk("A", algorithm: "curve25519"), otk("C")]))
        #expect(counts == ["signed_curve25519": 3, "curve25519": 1])
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == counts)
        #expect(try await store.uploadKeys(upload(alice, "E", otks: [otk("A")])) == ["signed_curve25519": 1])
        #expect(try await store.oneTimeKeyCounts(userID: bob, deviceID: "D") == [:])

        _ = try await store.claimKeys([claimTarget(alice, "D"), claimTarget(alice, "D", "curve25519")], now: 1)
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == ["signed_curve25519": 2])
        // Fallback keys are not one-time keys and are not counted.
        #expect(try await store.uploadKeys(upload(alice, "E", fallbacks: [otk("F")])) == ["signed_curve25519": 1])
    }

    static func query(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "WITH", displayName: "Has keys")
        try await login(store, alice, "WITHOUT")
        let keys = deviceKeys(alice, "WITH")
        _ = try await store.uploadKeys(upload(alice, "WITH", deviceKeys: keys))

        let all = try await store.queryDevices([alice: [], bob: [], carol: []])
        #expect(all[bob] == [])
        #expect(all[carol] == [])
        let aliceDevices = try #require(all[alice]).sorted { $0.deviceID < $1.deviceID }
        #expect(
            aliceDevices == [
                StoredDeviceKeys(deviceID: "WITH", keys: keys.object, displayName: "Has keys"),
                StoredDeviceKeys(deviceID: "WITHOUT", keys: nil, displayName: nil),
            ])

        let some = try await store.queryDevices([alice: ["WITH", "MISSING"]])
        #expect(some == [alice: [StoredDeviceKeys(deviceID: "WITH", keys: keys.object, displayName: "Has keys")]])
        #expect(try await store.queryDevices([:]) == [:])
    }
}
