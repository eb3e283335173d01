import KeyportStore
import Testing

/// `LeaseStore`: one holder at a time, takeover only after expiry, and a fence that moves with
/// every change of hands.
enum LeaseChecks {
    static let all: [StoreCheck] = [
        StoreCheck("leases: one holder until expiry, then the next takes over with a new fence") { makeStore in
            let store = try await makeStore()
            let first = try #require(try await store.acquireLease("job", holder: "p1", now: 1_000, duration: 500))
            #expect(first.expiresAt == 1_500)
            #expect(try await store.acquireLease("job", holder: "p2", now: 1_499, duration: 500) == nil)
            let again = try #require(try await store.acquireLease("job", holder: "p1", now: 1_200, duration: 500))
            #expect(again.fence == first.fence, "the holder extending its lease keeps the fence")
            #expect(again.expiresAt == 1_700)
            let taken = try #require(try await store.acquireLease("job", holder: "p2", now: 1_700, duration: 500))
            #expect(taken.holder == "p2")
            #expect(taken.fence > first.fence)
            #expect(try await store.holdsLease(taken))
            #expect(try await !store.holdsLease(again))
            #expect(try await store.acquireLease("other", holder: "p1", now: 1_700, duration: 500) != nil, "by name")
        },
        StoreCheck("leases: renewal keeps a held lease and fails once it was taken") { makeStore in
            let store = try await makeStore()
            let lease = try #require(try await store.acquireLease("job", holder: "p1", now: 0, duration: 100))
            let renewed = try #require(try await store.renewLease(lease, now: 90, duration: 100))
            #expect(renewed.fence == lease.fence)
            #expect(renewed.expiresAt == 190)
            #expect(try await store.acquireLease("job", holder: "p2", now: 150, duration: 100) == nil)
            #expect(try await store.renewLease(renewed, now: 200, duration: 100) != nil, "expired but not taken")
            _ = try #require(try await store.acquireLease("job", holder: "p2", now: 400, duration: 100))
            #expect(try await store.renewLease(renewed, now: 410, duration: 100) == nil, "taken by p2")
        },
        StoreCheck("leases: a released lease is free at once and its fence moves on") { makeStore in
            let store = try await makeStore()
            let lease = try #require(try await store.acquireLease("job", holder: "p1", now: 0, duration: 10_000))
            try await store.releaseLease(lease)
            let next = try #require(try await store.acquireLease("job", holder: "p2", now: 2, duration: 5))
            #expect(next.fence > lease.fence)
            try await store.releaseLease(lease)
            #expect(try await store.holdsLease(next), "releasing a lease lost already changes nothing")
        },
    ]
}
