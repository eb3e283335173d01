import KeyportStore
import MatrixModel
import Testing

/// `KeyBackupStore`: versions numbered per user and never reused, the current version, auth data
/// kept as given, and the room keys in a version (see `KeyBackupChecks+Keys`).
enum KeyBackupChecks {
    static let all: [StoreCheck] = versionChecks + keyChecks + limitAndRaceChecks

    static let authData: JSONObject = [
        "public_key": "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo",
        "signatures": [alice: ["ed25519:DEVICE": "SIG"]],
    ]

    static let versionChecks: [StoreCheck] = [
        StoreCheck("key backup: versions count from 1 per user; the current is the highest not deleted") { makeStore in
            let store = try await makeStore()
            #expect(try await store.backupVersion(userID: alice, version: nil) == nil)
            #expect(try await store.createBackupVersion(userID: alice, algorithm: "m.one", authData: authData) == 1)
            #expect(try await store.createBackupVersion(userID: alice, algorithm: "m.two", authData: [:]) == 2)
            #expect(
                try await store.createBackupVersion(userID: bob, algorithm: "m.one", authData: [:]) == 1, "per user")
            #expect(
                try await store.backupVersion(userID: alice, version: nil)
                    == KeyBackupVersion(version: 2, algorithm: "m.two", authData: [:], etag: 0, count: 0))
            #expect(
                try await store.backupVersion(userID: alice, version: 1)
                    == KeyBackupVersion(version: 1, algorithm: "m.one", authData: authData, etag: 0, count: 0))
            #expect(try await store.backupVersion(userID: alice, version: 3) == nil)
            #expect(try await store.backupVersion(userID: carol, version: 1) == nil, "bob's version 1 is not carol's")
        },
        StoreCheck("key backup: a deleted version is gone, its number is never given again") { makeStore in
            let store = try await makeStore()
            _ = try await store.createBackupVersion(userID: alice, algorithm: "m.one", authData: [:])
            _ = try await store.createBackupVersion(userID: alice, algorithm: "m.two", authData: [:])
            #expect(try await store.deleteBackupVersion(userID: alice, version: 2))
            #expect(try await store.deleteBackupVersion(userID: alice, version: 2), "deleted before: it existed")
            #expect(try await !store.deleteBackupVersion(userID: alice, version: 9), "never created")
            #expect(try await !store.deleteBackupVersion(userID: bob, version: 1), "alice's version 1 is not bob's")
            #expect(try await store.backupVersion(userID: alice, version: 2) == nil)
            #expect(try await store.backupVersion(userID: alice, version: nil)?.version == 1)
            #expect(try await store.createBackupVersion(userID: alice, algorithm: "m.three", authData: [:]) == 3)
            #expect(try await store.deleteBackupVersion(userID: alice, version: 3))
            #expect(try await store.deleteBackupVersion(userID: alice, version: 1))
            #expect(try await store.backupVersion(userID: alice, version: nil) == nil, "every version deleted")
            #expect(try await store.createBackupVersion(userID: alice, algorithm: "m.four", authData: [:]) == 4)
        },
        StoreCheck("key backup: auth data is kept as given and replaced only in versions not deleted") { makeStore in
            let store = try await makeStore()
            // Member names equal as Swift strings but not as bytes, numbers, nesting, null.
            let given: JSONObject = [
                "\u{E9}": 1, "e\u{301}": 2, "float": .double(1.5), "none": .null, "list": [true, "x", ["n": -3]],
                "max": .int(JSONValue.maxSafeInteger), "text": "\u{1F511} \"quoted\" \\ \n",
            ]
            let version = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: given)
            let stored = try #require(try await store.backupVersion(userID: alice, version: version))
            #expect(stored.authData == given)
            #expect(stored.authData.count == 7)
            #expect(try await store.updateBackupAuthData(userID: alice, version: version, authData: authData))
            #expect(
                try await store.backupVersion(userID: alice, version: version)
                    == KeyBackupVersion(version: version, algorithm: "m.a", authData: authData, etag: 0, count: 0))
            #expect(try await !store.updateBackupAuthData(userID: alice, version: 5, authData: [:]), "never created")
            #expect(try await !store.updateBackupAuthData(userID: bob, version: version, authData: [:]), "not bob's")
            #expect(try await store.deleteBackupVersion(userID: alice, version: version))
            #expect(try await !store.updateBackupAuthData(userID: alice, version: version, authData: [:]), "deleted")
        },
    ]

    // MARK: - Fixtures

    static func key(_ firstMessageIndex: Int64, _ forwardedCount: Int64 = 0, verified: Bool = false, _ tag: String = "")
        -> KeyBackupData
    {
        KeyBackupData(
            firstMessageIndex: firstMessageIndex, forwardedCount: forwardedCount, isVerified: verified,
            sessionData: [
                "ciphertext": .string("c\(firstMessageIndex)-\(forwardedCount)-\(verified)\(tag)"), "mac": "m",
            ]
        )
    }

    static func session(_ roomID: String, _ sessionID: String, _ data: KeyBackupData) -> KeyBackupSession {
        KeyBackupSession(roomID: roomID, sessionID: sessionID, data: data)
    }

    /// Stores an upload that must go through and returns its counts.
    static func store(
        _ store: any KeyportStorage, _ version: Int64, _ sessions: [KeyBackupSession], user: String = alice,
        maxSessions: Int = 1_000
    ) async throws -> KeyBackupCounts {
        let outcome = try await store.storeBackupKeys(
            userID: user, version: version, sessions: sessions, maxSessions: maxSessions)
        guard case .stored(let counts) = outcome else {
            Issue.record("upload refused: \(outcome)")
            return KeyBackupCounts(etag: -1, count: -1)
        }
        return counts
    }

    /// The stored key of one session, if any.
    static func stored(_ store: any KeyportStorage, _ version: Int64, _ roomID: String, _ sessionID: String)
        async throws -> KeyBackupData?
    {
        try await store.backupKeys(
            userID: alice, version: version, scope: .session(roomID: roomID, sessionID: sessionID))?.first?.data
    }
}
