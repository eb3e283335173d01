import KeyportStore
import MatrixModel
import Testing

/// `AccountStore` contracts.
enum AccountChecks {
    static let all: [StoreCheck] = [
        StoreCheck("account: created accounts read back", readBack),
        StoreCheck("account: creation conflicts case-insensitively", conflict),
        StoreCheck("account: sessions resolve by token hash", sessions),
        StoreCheck("account: listed in user-ID order with offset, limit and count", listing),
        StoreCheck(
            "account: deactivation removes devices, keys, tokens, backups and records the changes", deactivation),
        StoreCheck("account: a password hash is replaced, except on unknown or deactivated accounts", passwordHash),
        StoreCheck("account: deleting access tokens keeps the named one and every device", accessTokens),
    ]

    static func passwordHash(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        let original = AccountRecord(userID: alice, passwordHash: "old", isAdmin: true, createdAt: 1234)
        try await store.createAccount(original)
        try await store.createAccount(AccountRecord(userID: bob, passwordHash: "bobs", createdAt: 5))
        try await createAccounts(store, carol)
        #expect(try await store.deactivateAccount(userID: carol))
        let position = try await store.currentDeviceListPosition()

        #expect(try await store.setPasswordHash(userID: alice, hash: "new"))
        var changed = original
        changed.passwordHash = "new"
        #expect(try await store.account(userID: alice) == changed, "only the hash changes")
        #expect(try await store.account(userID: bob)?.passwordHash == "bobs")

        #expect(try await store.setPasswordHash(userID: "@nobody:example.com", hash: "x") == false)
        #expect(try await store.account(userID: "@nobody:example.com") == nil, "no account is created")
        #expect(try await store.setPasswordHash(userID: carol, hash: "x") == false)
        let deactivated = try #require(try await store.account(userID: carol))
        #expect(deactivated.deactivated && deactivated.passwordHash == nil)
        #expect(try await store.currentDeviceListPosition() == position, "not a device-list change")
    }

    static func accessTokens(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        for (userID, deviceID) in [(alice, "D1"), (alice, "D2"), (bob, "D1")] {
            try await login(store, userID, deviceID)
            _ = try await store.uploadKeys(upload(userID, deviceID, deviceKeys: deviceKeys(userID, deviceID)))
        }
        try await store.createSession(
            userID: alice, deviceID: "D1", initialDisplayName: nil, tokenHash: "second", now: 3)
        let position = try await store.currentDeviceListPosition()

        #expect(try await store.deleteAccessTokens(userID: alice, keeping: "token-\(alice)-D1") == 2)
        #expect(try await store.session(tokenHash: "token-\(alice)-D1") == SessionRecord(userID: alice, deviceID: "D1"))
        #expect(try await store.session(tokenHash: "second") == nil, "another token of the kept device goes")
        #expect(try await store.session(tokenHash: "token-\(alice)-D2") == nil)
        #expect(try await store.session(tokenHash: "token-\(bob)-D1") == SessionRecord(userID: bob, deviceID: "D1"))
        #expect(try await store.devices(userID: alice).map(\.deviceID) == ["D1", "D2"], "devices stay")
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D2") != nil, "keys stay")
        #expect(try await store.currentDeviceListPosition() == position, "not a device-list change")
        #expect(try await store.deleteAccessTokens(userID: alice, keeping: "token-\(alice)-D1") == 0)
    }

    static func listing(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        #expect(try await store.accountCount() == 0)
        try await createAccounts(store, carol, alice, bob)
        #expect(try await store.accountCount() == 3)
        #expect(try await store.accounts(offset: 0, limit: 2).map(\.userID) == [alice, bob])
        #expect(try await store.accounts(offset: 2, limit: 2).map(\.userID) == [carol])
        #expect(try await store.accounts(offset: 5, limit: 2).isEmpty)
    }

    static func deactivation(_ makeStore: StoreFactory) async throws {
        let store = try await makeStore()
        try await createAccounts(store, alice, bob)
        try await login(store, alice, "D1")
        try await login(store, alice, "D2")
        _ = try await store.uploadKeys(upload(alice, "D1", deviceKeys: deviceKeys(alice, "D1"), otks: [otk("a")]))
        let backup = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
        _ = try await KeyBackupChecks.store(store, backup, [KeyBackupChecks.session("!r", "s", KeyBackupChecks.key(0))])
        let bobsBackup = try await store.createBackupVersion(userID: bob, algorithm: "m.a", authData: [:])
        let before = try await store.currentDeviceListPosition()
        #expect(try await store.deactivateAccount(userID: alice))
        #expect(try await store.deactivateAccount(userID: "@nobody:example.com") == false)
        let account = try #require(try await store.account(userID: alice))
        #expect(account.deactivated && account.passwordHash == nil)
        #expect(try await store.devices(userID: alice).isEmpty)
        #expect(try await store.session(tokenHash: "token-\(alice)-D1") == nil)
        #expect(try await store.deviceKeys(userID: alice, deviceID: "D1") == nil)
        #expect(try await store.oneTimeKeyCounts(userID: alice, deviceID: "D1").isEmpty)
        #expect(summary(try await changes(store, after: before)) == ["\(alice) device D1", "\(alice) device D2"])
        #expect(try await store.accountExists(userIDIgnoringCase: alice), "the user ID stays taken")
        #expect(try await store.account(userID: bob)?.deactivated == false)
        #expect(try await store.backupVersion(userID: alice, version: nil) == nil, "key backups deleted")
        #expect(try await store.backupKeys(userID: alice, version: backup, scope: .all) == nil)
        #expect(try await store.backupVersion(userID: bob, version: nil)?.version == bobsBackup)
    }

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
