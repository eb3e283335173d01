import KeyportStore
import MatrixModel
import Testing

/// `KeyStore.claimKeys` and fallback keys.
enum KeyClaimChecks {
    static let all: [StoreCheck] = [
        StoreCheck("claim: oldest key first, across uploads", uploadOrder),
        StoreCheck("claim: each one-time key at most once", atMostOnce),
        StoreCheck("claim: fallback key when one-time keys run out", fallback),
        StoreCheck("claim: one-time keys only, or the fallback key only", sources),
        StoreCheck("claim: a new fallback key resets, an identical one does not", fallbackReplacement),
        StoreCheck("claim: several users, devices and algorithms in one call", mixedTargets),
        StoreCheck("claim: 200 concurrent claims on 50 keys and a fallback", concurrentClaims),
    ]

    static func uploadOrder(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        // Names sort against upload order, so an order by key ID would be caught.
        _ = try await store.uploadKeys(upload(alice, "D", otks: [otk("Z1"), otk("M2")]))
        _ = try await store.uploadKeys(upload(alice, "D", otks: [otk("A3")]))
        _ = try await store.uploadKeys(upload(alice, "D", otks: [otk("K4"), otk("B5")]))
        var claimed: [String] = []
        for _ in 0..<6 {
            claimed += try await store.claimKeys([claimTarget(alice, "D")], now: 1).map(\.key.keyID)
        }
        #expect(claimed == ["Z1", "M2", "A3", "K4", "B5"].map { "signed_curve25519:\($0)" })
    }

    static func atMostOnce(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        _ = try await store.uploadKeys(upload(alice, "D", otks: (1...5).map { otk("K\($0)") }))
        let first = try await store.claimKeys(Array(repeating: claimTarget(alice, "D"), count: 3), now: 1)
        let second = try await store.claimKeys(Array(repeating: claimTarget(alice, "D"), count: 3), now: 2)
        let all = first + second
        #expect(first.count == 3)
        #expect(second.count == 2)
        #expect(Set(all.map(\.key.keyID)).count == 5)
        #expect(all.allSatisfy { !$0.isFallback && $0.userID == alice && $0.deviceID == "D" })
        #expect(all.map(\.key) == (1...5).map { otk("K\($0)") })
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == [:])
    }

    static func fallback(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        _ = try await store.uploadKeys(upload(alice, "D", otks: [otk("A")], fallbacks: [otk("F")]))
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == ["signed_curve25519"])

        let first = try await store.claimKeys([claimTarget(alice, "D")], now: 1)
        #expect(first == [ClaimedKey(userID: alice, deviceID: "D", key: otk("A"), isFallback: false)])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == ["signed_curve25519"])

        let second = try await store.claimKeys([claimTarget(alice, "D")], now: 2)
        #expect(second == [ClaimedKey(userID: alice, deviceID: "D", key: otk("F"), isFallback: true)])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == [])

        // The used fallback key is kept and handed out again.
        let third = try await store.claimKeys([claimTarget(alice, "D"), claimTarget(alice, "D")], now: 3)
        #expect(
            third
                == Array(repeating: ClaimedKey(userID: alice, deviceID: "D", key: otk("F"), isFallback: true), count: 2)
        )

        // A fresh one-time key is preferred again over the fallback key.
        _ = try await store.uploadKeys(upload(alice, "D", otks: [otk("B")]))
        #expect(try await store.claimKeys([claimTarget(alice, "D")], now: 4).map(\.isFallback) == [false])
        #expect(try await store.claimKeys([claimTarget(alice, "D", "other_algorithm")], now: 5) == [])
    }

    /// The two halves of a claim an application service's users get (MSC3983): one-time keys
    /// alone never touch the fallback key; the fallback key alone takes no one-time key.
    static func sources(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        _ = try await store.uploadKeys(upload(alice, "D", otks: [otk("A")], fallbacks: [otk("F")]))
        let target = claimTarget(alice, "D")

        #expect(
            try await store.claimKeys([target], now: 1, from: .fallbackOnly)
                == [ClaimedKey(userID: alice, deviceID: "D", key: otk("F"), isFallback: true)])
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == ["signed_curve25519": 1])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == [])

        _ = try await store.uploadKeys(upload(alice, "D", fallbacks: [otk("G")]))
        #expect(
            try await store.claimKeys([target, target], now: 2, from: .oneTimeKeysOnly)
                == [ClaimedKey(userID: alice, deviceID: "D", key: otk("A"), isFallback: false)])
        #expect(
            try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == ["signed_curve25519"],
            "a claim of one-time keys alone left the fallback key unused")
        #expect(try await store.claimKeys([target], now: 3, from: .oneTimeKeysOnly) == [])
    }

    static func fallbackReplacement(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        _ = try await store.uploadKeys(upload(alice, "D", fallbacks: [otk("F1")]))
        _ = try await store.claimKeys([claimTarget(alice, "D")], now: 1)
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == [])

        _ = try await store.uploadKeys(upload(alice, "D", fallbacks: [otk("F1")]))
        #expect(
            try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == [], "identical re-upload stays used"
        )

        _ = try await store.uploadKeys(upload(alice, "D", fallbacks: [otk("F2")]))
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == ["signed_curve25519"])
        let claimed = try await store.claimKeys([claimTarget(alice, "D")], now: 2)
        #expect(claimed == [ClaimedKey(userID: alice, deviceID: "D", key: otk("F2"), isFallback: true)])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == [])

        // Same key ID, new content: a different key, so it is unused again.
        _ = try await store.uploadKeys(upload(alice, "D", fallbacks: [otk("F2", content: "rotated")]))
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == ["signed_curve25519"])
        #expect(
            try await store.claimKeys([claimTarget(alice, "D")], now: 3).map(\.key) == [otk("F2", content: "rotated")])

        _ = try await store.uploadKeys(
            upload(alice, "D", fallbacks: [otk("G", algorithm: "alg_b"), otk("H", algorithm: "alg_a")]))
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D").sorted() == ["alg_a", "alg_b"])
    }

    static func mixedTargets(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        for (userID, deviceID) in [(alice, "D1"), (alice, "D2"), (bob, "D1")] {
            try await login(store, userID, deviceID)
        }
        _ = try await store.uploadKeys(upload(alice, "D1", otks: [otk("A"), otk("X", algorithm: "curve25519")]))
        _ = try await store.uploadKeys(upload(bob, "D1", fallbacks: [otk("BF")]))
        let claimed = try await store.claimKeys(
            [
                claimTarget(alice, "D1"), claimTarget(alice, "D1", "curve25519"), claimTarget(alice, "D2"),
                claimTarget(bob, "D1"), claimTarget(carol, "D1"),
            ], now: 1)
        let found = Set(claimed.map { "\($0.userID) \($0.deviceID) \($0.key.keyID) \($0.isFallback)" })
        #expect(
            found == [
                "\(alice) D1 signed_curve25519:A false", "\(alice) D1 curve25519:X false",
                "\(bob) D1 signed_curve25519:BF true",
            ])
        #expect(claimed.count == 3)
        #expect(
            claimed.allSatisfy { $0.key.algorithm == ($0.key.keyID.split(separator: ":").first.map(String.init) ?? "") }
        )
    }

    static func concurrentClaims(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice)
        try await login(store, alice, "D")
        _ = try await store.uploadKeys(upload(alice, "D", otks: (0..<50).map { otk("K\($0)") }, fallbacks: [otk("F")]))
        let results = try await withThrowingTaskGroup(of: [ClaimedKey].self) { group in
            for index in 0..<200 {
                group.addTask { try await store.claimKeys([claimTarget(alice, "D")], now: Int64(index)) }
            }
            var all: [ClaimedKey] = []
            for try await claimed in group { all += claimed }
            return all
        }
        #expect(results.count == 200)
        let oneTime = results.filter { !$0.isFallback }
        let fallbacks = results.filter(\.isFallback)
        #expect(oneTime.count == 50)
        #expect(Set(oneTime.map(\.key.keyID)) == Set((0..<50).map { "signed_curve25519:K\($0)" }))
        #expect(fallbacks.count == 150)
        #expect(fallbacks.allSatisfy { $0.key == otk("F") })
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D") == [:])
        #expect(try await store.unusedFallbackKeyTypes(userID: alice, deviceID: "D") == [])
    }
}
