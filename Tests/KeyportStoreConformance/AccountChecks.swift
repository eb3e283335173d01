import KeyportStore
import MatrixModel
import Testing

/// `AccountStore` contracts.
enum AccountChecks {
    static let all: [StoreCheck] = [
        StoreCheck("account: created accounts read back", readBack),
        StoreCheck("account: creation conflicts case-insensitively", conflict),
        StoreCheck("account: sessions resolve by token hash", sessions),
    ]

    static func readBack(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.account(userID: alice) == nil)
        let record = AccountRecord(userID: alice, passwordHash: "pbkdf2-sha256$1$s$h", isAdmin: true, createdAt: 1234)
        try await store.createAccount(record)
        try await store.createAccount(AccountRecord(userID: bob, passwordHash: nil, createdAt: 99))
        #expect(try await store.account(userID: alice) == record)
        #expect(
            try await store.account(userID: bob)
                == AccountRecord(userID: bob, passwordHash: nil, isAdmin: false, createdAt: 99))
        #expect(try await store.account(userID: carol) == nil)
        #expect(try await store.accountExists(userIDIgnoringCase: alice))
        #expect(try await store.accountExists(userIDIgnoringCase: carol) == false)
    }

    static func conflict(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        let original = AccountRecord(userID: "@Alice:example.com", passwordHash: "first", createdAt: 1)
        try await store.createAccount(original)
        for clash in ["@Alice:example.com", "@alice:example.com", "@ALICE:EXAMPLE.COM"] {
            let error = await #expect(throws: StoreError.self, "\(clash)") {
                try await store.createAccount(AccountRecord(userID: clash, passwordHash: "second", createdAt: 2))
            }
            #expect(error?.isConflict == true, "\(clash): \(String(describing: error))")
        }
        #expect(try await store.account(userID: "@Alice:example.com") == original)
        #expect(try await store.accountExists(userIDIgnoringCase: "@aLiCe:Example.com"))
        #expect(try await store.accountExists(userIDIgnoringCase: "@alicea:example.com") == false)
    }

    static func sessions(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        #expect(try await store.session(tokenHash: "nope") == nil)
        try await store.createSession(userID: alice, deviceID: "D1", initialDisplayName: nil, tokenHash: "h1", now: 1)
        try await store.createSession(userID: alice, deviceID: "D1", initialDisplayName: nil, tokenHash: "h2", now: 2)
        try await store.createSession(userID: bob, deviceID: "D1", initialDisplayName: nil, tokenHash: "h3", now: 3)
        #expect(try await store.session(tokenHash: "h1") == SessionRecord(userID: alice, deviceID: "D1"))
        #expect(try await store.session(tokenHash: "h2") == SessionRecord(userID: alice, deviceID: "D1"))
        #expect(try await store.session(tokenHash: "h3") == SessionRecord(userID: bob, deviceID: "D1"))
        #expect(try await store.session(tokenHash: "H1") == nil)
    }
}
