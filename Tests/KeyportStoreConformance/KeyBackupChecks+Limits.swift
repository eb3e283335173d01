import KeyportStore
import MatrixModel
import Testing

extension KeyBackupChecks {
    static let limitAndRaceChecks: [StoreCheck] = [
        StoreCheck("key backup: the session limit counts every version not deleted; replacing is always allowed") {
            makeStore in
            let store = try await makeStore()
            let old = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            _ = try await Self.store(store, old, [session("!a", "s1", key(5)), session("!a", "s2", key(5))])
            let current = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            _ = try await Self.store(store, current, [session("!a", "s1", key(5))])
            let upload = [session("!a", "s1", key(1)), session("!a", "s2", key(1))]
            #expect(
                try await store.storeBackupKeys(userID: alice, version: current, sessions: upload, maxSessions: 3)
                    == .tooManySessions)
            #expect(try await stored(store, current, "!a", "s1") == key(5), "nothing stored, not even the better key")
            #expect(try await store.backupVersion(userID: alice, version: current)?.etag == 1)
            #expect(try await Self.store(store, current, [session("!a", "s1", key(0))], maxSessions: 3).count == 1)
            #expect(
                try await Self.store(store, current, [session("!a", "s1", key(0, verified: true))], maxSessions: 1)
                    .etag == 3, "over the limit already, a better key still replaces")
            #expect(try await Self.store(store, current, [session("!a", "s2", key(1))], maxSessions: 4).count == 2)
            _ = try await store.createBackupVersion(userID: bob, algorithm: "m.a", authData: [:])
            #expect(
                try await Self.store(store, 1, [session("!a", "s", key(1))], user: bob, maxSessions: 1).count == 1,
                "alice's keys do not count for bob")
            #expect(try await store.deleteBackupVersion(userID: alice, version: old))
            #expect(try await Self.store(store, current, [session("!a", "s3", key(1))], maxSessions: 3).count == 3)
        },
        StoreCheck("key backup: concurrent uploads of one session keep the best key and count it once") { makeStore in
            let store = try await makeStore()
            let version = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            let indexes = Array(Int64(1)...16).shuffled()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in indexes {
                    group.addTask {
                        let upload = [session("!a", "shared", key(index)), session("!a", "own-\(index)", key(index))]
                        _ = try await Self.store(store, version, upload)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await stored(store, version, "!a", "shared") == key(1))
            let counts = try #require(try await store.backupVersion(userID: alice, version: version))
            #expect(counts.count == 17)
            #expect(counts.etag == 16, "every upload added its own session")
            #expect(try await store.backupKeys(userID: alice, version: version, scope: .all)?.count == 17)
        },
        StoreCheck("key backup: versions created concurrently get distinct numbers") { makeStore in
            let store = try await makeStore()
            let versions = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await store.createBackupVersion(userID: alice, algorithm: "m.\(index)", authData: [:])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...8))
            #expect(try await store.backupVersion(userID: alice, version: nil)?.version == 8)
        },
    ]
}
