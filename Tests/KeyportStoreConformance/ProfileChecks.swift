import KeyportStore
import Testing

/// `ProfileStore`: fields kept per account, absent accounts told apart from empty profiles.
enum ProfileChecks {
    static let all: [StoreCheck] = [
        StoreCheck("profiles: set, replaced and read back; no account, no profile") { makeStore in
            let store = try await makeStore()
            try await createAccounts(store, alice)
            #expect(try await store.profile(userID: alice) == Profile())
            #expect(try await store.profile(userID: bob) == nil)
            #expect(try await store.setProfile(userID: alice, Profile(displayName: "Alice", avatarURL: "mxc://a/b")))
            #expect(try await store.profile(userID: alice) == Profile(displayName: "Alice", avatarURL: "mxc://a/b"))
            #expect(try await store.setProfile(userID: alice, Profile(displayName: nil, avatarURL: "mxc://a/c")))
            #expect(try await store.profile(userID: alice) == Profile(displayName: nil, avatarURL: "mxc://a/c"))
            #expect(try await !store.setProfile(userID: bob, Profile(displayName: "Bob")), "no such account")
        }
    ]
}
