import KeyportStore
import MatrixModel
import Testing

extension KeyBackupChecks {
    static let keyChecks: [StoreCheck] = [
        StoreCheck("key backup: an upload adds sessions and replaces a key only with a better one") { makeStore in
            let store = try await makeStore()
            let version = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            #expect(
                try await Self.store(store, version, [session("!r", "s1", key(5, 2)), session("!r", "s2", key(1))])
                    == KeyBackupCounts(etag: 1, count: 2))
            #expect(
                try await Self.store(store, version, [session("!r", "s1", key(6, 0))])
                    == KeyBackupCounts(etag: 1, count: 2), "a worse key leaves everything as it was")
            #expect(try await stored(store, version, "!r", "s1") == key(5, 2))
            #expect(
                try await Self.store(store, version, [session("!r", "s1", key(5, 2, "other data"))])
                    == KeyBackupCounts(etag: 1, count: 2), "an equal key does not replace the stored one")
            #expect(try await stored(store, version, "!r", "s1") == key(5, 2))
            #expect(
                try await Self.store(store, version, [session("!r", "s1", key(5, 1)), session("!q", "s3", key(0))])
                    == KeyBackupCounts(etag: 2, count: 3), "one etag step for one upload")
            #expect(try await stored(store, version, "!r", "s1") == key(5, 1))
            #expect(
                try await Self.store(store, version, [session("!r", "s1", key(9, 9, verified: true))])
                    == KeyBackupCounts(etag: 3, count: 3))
            #expect(try await stored(store, version, "!r", "s1") == key(9, 9, verified: true))
            #expect(try await Self.store(store, version, []) == KeyBackupCounts(etag: 3, count: 3))
            #expect(
                try await store.backupVersion(userID: alice, version: version)
                    == KeyBackupVersion(version: version, algorithm: "m.a", authData: [:], etag: 3, count: 3))
        },
        StoreCheck("key backup: uploads go to the current version only") { makeStore in
            let store = try await makeStore()
            let upload = [session("!r", "s", key(0))]
            func outcome(_ version: Int64) async throws -> KeyBackupUploadOutcome {
                try await store.storeBackupKeys(userID: alice, version: version, sessions: upload, maxSessions: 10)
            }
            #expect(try await outcome(1) == .versionNotFound, "no version at all")
            let first = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            let second = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            #expect(try await outcome(first) == .notCurrent(current: second))
            #expect(try await store.backupVersion(userID: alice, version: first)?.count == 0, "nothing stored")
            #expect(try await outcome(7) == .versionNotFound)
            #expect(
                try await store.storeBackupKeys(userID: bob, version: first, sessions: upload, maxSessions: 10)
                    == .versionNotFound, "alice's versions are not bob's")
            #expect(try await store.deleteBackupVersion(userID: alice, version: second))
            #expect(try await outcome(second) == .versionNotFound, "a deleted version is not found")
            #expect(try await outcome(first) == .stored(KeyBackupCounts(etag: 1, count: 1)), "current again")
        },
        StoreCheck("key backup: keys are read by scope, in room then session order") { makeStore in
            let store = try await makeStore()
            let version = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            let sessions = [session("!b", "s3", key(3)), session("!a", "s2", key(2)), session("!a", "s1", key(1))]
            _ = try await Self.store(store, version, sessions)
            #expect(try await store.backupKeys(userID: alice, version: version, scope: .all) == sessions.reversed())
            #expect(
                try await store.backupKeys(userID: alice, version: version, scope: .room("!a"))
                    == [sessions[2], sessions[1]])
            #expect(try await store.backupKeys(userID: alice, version: version, scope: .room("!c")) == [])
            #expect(try await stored(store, version, "!b", "s3") == key(3))
            #expect(try await stored(store, version, "!a", "s3") == nil, "a session of another room")
            #expect(try await store.backupKeys(userID: alice, version: version + 1, scope: .all) == nil)
            #expect(try await store.backupKeys(userID: bob, version: version, scope: .all) == nil, "not bob's")
            _ = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            #expect(try await store.backupKeys(userID: alice, version: version, scope: .all)?.count == 3, "old version")
            #expect(try await store.deleteBackupVersion(userID: alice, version: version))
            #expect(try await store.backupKeys(userID: alice, version: version, scope: .all) == nil, "deleted")
        },
        StoreCheck("key backup: keys are deleted by scope; the etag moves only when a key goes") { makeStore in
            let store = try await makeStore()
            let version = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            _ = try await Self.store(
                store, version,
                [session("!a", "s1", key(1)), session("!a", "s2", key(2)), session("!b", "s1", key(3))])
            func delete(_ scope: KeyBackupScope, version: Int64 = version) async throws -> KeyBackupCounts? {
                try await store.deleteBackupKeys(userID: alice, version: version, scope: scope)
            }
            #expect(try await delete(.session(roomID: "!a", sessionID: "s9")) == KeyBackupCounts(etag: 1, count: 3))
            #expect(try await delete(.room("!c")) == KeyBackupCounts(etag: 1, count: 3))
            #expect(try await delete(.session(roomID: "!a", sessionID: "s1")) == KeyBackupCounts(etag: 2, count: 2))
            #expect(try await stored(store, version, "!b", "s1") == key(3), "same session ID, other room")
            // A later version does not stop deleting keys from this one.
            _ = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            #expect(try await delete(.room("!b")) == KeyBackupCounts(etag: 3, count: 1))
            #expect(try await delete(.all) == KeyBackupCounts(etag: 4, count: 0))
            #expect(try await delete(.all) == KeyBackupCounts(etag: 4, count: 0))
            #expect(try await delete(.all, version: 9) == nil)
            #expect(try await store.deleteBackupKeys(userID: bob, version: version, scope: .all) == nil, "not bob's")
            #expect(try await store.deleteBackupVersion(userID: alice, version: version))
            #expect(try await delete(.all) == nil, "deleted version")
        },
        StoreCheck("key backup: deleting a version deletes its keys, and only its own") { makeStore in
            let store = try await makeStore()
            let old = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            _ = try await Self.store(store, old, [session("!a", "s", key(1))])
            let current = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            _ = try await Self.store(store, current, [session("!a", "s", key(1)), session("!a", "t", key(1))])
            let bobs = try await store.createBackupVersion(userID: bob, algorithm: "m.a", authData: [:])
            _ = try await Self.store(store, bobs, [session("!a", "s", key(1))], user: bob)
            #expect(try await store.deleteBackupVersion(userID: alice, version: current))
            #expect(try await store.backupKeys(userID: alice, version: old, scope: .all)?.count == 1)
            #expect(try await store.backupKeys(userID: bob, version: bobs, scope: .all)?.count == 1)
            #expect(try await store.backupVersion(userID: alice, version: nil)?.count == 1)
        },
        StoreCheck("key backup: room and session IDs are told apart by their bytes") { makeStore in
            let store = try await makeStore()
            let version = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            let sessions = [
                session("!\u{E9}", "\u{E9}", key(1)), session("!\u{E9}", "e\u{301}", key(2)),
                session("!e\u{301}", "\u{E9}", key(3)),
            ]
            #expect(try await Self.store(store, version, sessions) == KeyBackupCounts(etag: 1, count: 3))
            #expect(try await stored(store, version, "!\u{E9}", "e\u{301}") == key(2))
            #expect(try await stored(store, version, "!e\u{301}", "\u{E9}") == key(3))
            #expect(try await store.backupKeys(userID: alice, version: version, scope: .room("!\u{E9}"))?.count == 2)
        },
    ]
}
