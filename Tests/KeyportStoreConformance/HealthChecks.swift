import KeyportStore
import Testing

/// `StoreHealth`: a working store says it is reachable.
enum HealthChecks {
    static let all: [StoreCheck] = [
        StoreCheck("health: a fresh store is reachable") { makeStore in
            let store = try await makeStore()
            try await store.checkReachable()
        }
    ]
}
