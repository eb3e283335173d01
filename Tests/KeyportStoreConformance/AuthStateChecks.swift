import KeyportStore
import Testing

/// `AuthStateStore`: sessions and nonces any process can see, expiring, nonces used once.
enum AuthStateChecks {
    static let all: [StoreCheck] = [
        StoreCheck("auth state: sessions keep their stages and expire") { makeStore in
            let store = try await makeStore()
            #expect(try await store.authSessionStages(id: "s1", notBefore: 0) == nil)
            try await store.createAuthSession(id: "s1", now: 1_000)
            #expect(try await store.authSessionStages(id: "s1", notBefore: 0) == [])
            try await store.completeAuthStage(id: "s1", stage: "m.login.password")
            try await store.completeAuthStage(id: "s1", stage: "m.login.password")
            try await store.completeAuthStage(id: "unknown", stage: "m.login.password")
            #expect(try await store.authSessionStages(id: "s1", notBefore: 0) == ["m.login.password"])
            #expect(try await store.authSessionStages(id: "unknown", notBefore: 0) == nil)
            #expect(try await store.authSessionStages(id: "s1", notBefore: 1_001) == nil, "expired")
            #expect(try await store.authSessionStages(id: "s1", notBefore: 0) == nil, "and gone")
        },
        StoreCheck("auth state: a nonce is consumed once, and not after it expired") { makeStore in
            let store = try await makeStore()
            try await store.storeRegistrationNonce("n1", now: 1_000)
            try await store.storeRegistrationNonce("n2", now: 1_000)
            #expect(try await store.consumeRegistrationNonce("n1", notBefore: 0))
            #expect(try await store.consumeRegistrationNonce("n1", notBefore: 0) == false)
            #expect(try await store.consumeRegistrationNonce("n2", notBefore: 1_001) == false)
            #expect(try await store.consumeRegistrationNonce("never", notBefore: 0) == false)
        },
        StoreCheck("auth state: of many concurrent uses of one nonce exactly one succeeds") { makeStore in
            let store = try await makeStore()
            try await store.storeRegistrationNonce("shared", now: 1_000)
            let successes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 { group.addTask { try await store.consumeRegistrationNonce("shared", notBefore: 0) } }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(successes == 1)
        },
    ]
}
