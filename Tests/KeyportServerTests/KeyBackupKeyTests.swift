import Foundation
import Hummingbird
import MatrixModel
import Testing

/// `/room_keys/keys` over HTTP: the three shapes, the replacement order, `etag` and `count`,
/// stale and unknown versions, and one user's backup hidden from another.
@Suite struct KeyBackupKeyTests {
    static let room = "!room:test.local"

    @Test func keysGoInAndComeOutInEachShape() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let version = try await alice.create()
            #expect(try await alice.keys(.get, version: version).body == ["rooms": [:]])
            #expect(try await alice.keys(.get, room: Self.room, version: version).body == ["sessions": [:]])
            let missing = try await alice.keys(.get, room: Self.room, session: "S", version: version)
            #expect(missing.status == 404)
            #expect(missing.errcode == "M_NOT_FOUND")

            // Megolm session IDs are base64: '/' and '+' travel percent-encoded in the path.
            let first = "a/b+c"
            let one = try await alice.put(BackupClient.key(false, 1, 0, "one"), session: first, version: version)
            #expect(one.status == 200)
            #expect(one.body == ["etag": "1", "count": 1])
            let roomUpload = try await alice.keys(
                .put, room: Self.room, version: version,
                body: ["sessions": ["two": BackupClient.key(true, 2, 1, "two")]])
            #expect(roomUpload.body == ["etag": "2", "count": 2])
            let other = "!other:test.local"
            let allUpload = try await alice.keys(
                .put, version: version,
                body: ["rooms": [other: ["sessions": ["three": BackupClient.key(false, 3, 0, "three")]]]])
            #expect(allUpload.body == ["etag": "3", "count": 3])

            let ownRoom: JSONValue = [
                "sessions": [
                    first: BackupClient.key(false, 1, 0, "one"), "two": BackupClient.key(true, 2, 1, "two"),
                ]
            ]
            #expect(
                try await alice.keys(.get, version: version).body == [
                    "rooms": [
                        Self.room: ownRoom,
                        other: ["sessions": ["three": BackupClient.key(false, 3, 0, "three")]],
                    ]
                ])
            #expect(try await alice.keys(.get, room: Self.room, version: version).body == ownRoom)
            #expect(try await alice.stored(session: first, version: version) == BackupClient.key(false, 1, 0, "one"))
            #expect(try await alice.keys(.get, room: "!empty:test.local", version: version).body == ["sessions": [:]])
            #expect(try await alice.keys(.get, room: other, session: first, version: version).status == 404)
            let info = try await alice.version()
            #expect(info["etag"] == "3")
            #expect(info["count"] == 3)
        }
    }

    /// Each criterion decides once, in order; where Synapse's rule would answer otherwise, the
    /// comment says so.
    @Test func aKeyIsReplacedOnlyByABetterOne() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let version = try await alice.create()
            let steps: [(key: JSONValue, replaces: Bool, why: String)] = [
                (BackupClient.key(false, 5, 5, "a"), true, "the first key of a session"),
                (
                    BackupClient.key(false, 6, 0, "b"), false,
                    "a higher index loses, fewer forwards or not (Synapse keeps b)"
                ),
                (BackupClient.key(false, 4, 9, "c"), true, "a lower index wins, more forwards or not"),
                (BackupClient.key(false, 4, 8, "d"), true, "same index: fewer forwards win"),
                (BackupClient.key(false, 4, 8, "e"), false, "all equal: the stored key stays"),
                (BackupClient.key(true, 9, 9, "f"), true, "verified beats unverified, whatever the counts"),
                (BackupClient.key(false, 0, 0, "g"), false, "unverified never beats verified (Synapse keeps g)"),
                (BackupClient.key(true, 8, 9, "h"), true, "both verified: a lower index wins"),
                (BackupClient.key(true, 9, 0, "i"), false, "both verified: a higher index loses (Synapse keeps i)"),
                (BackupClient.key(true, 8, 8, "j"), true, "both verified, same index: fewer forwards win"),
                (BackupClient.key(true, 8, 8, "k"), false, "all equal again"),
            ]
            var expected: JSONValue = .null
            var etag = "0"
            for step in steps {
                let reply = try await alice.put(step.key, version: version)
                #expect(reply.status == 200, "\(step.why)")
                if step.replaces { expected = step.key }
                #expect(try await alice.stored(version: version) == expected, "\(step.why)")
                let moved = reply["etag"]?.stringValue != etag
                #expect(moved == step.replaces, "the etag moves exactly when the key is replaced: \(step.why)")
                etag = reply["etag"]?.stringValue ?? etag
                #expect(reply["count"] == 1)
            }
        }
    }

    @Test func etagAndCountMoveExactlyWhenTheKeysChange() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let version = try await alice.create()
            var etags: [String] = ["0"]
            func check(_ reply: MatrixClient.Reply, changes: Bool, count: Int64, _ what: String) async throws {
                #expect(reply.status == 200, "\(what)")
                let etag = try #require(reply["etag"]?.stringValue, "\(what)")
                #expect((etag != etags.last) == changes, "\(what)")
                if changes { #expect(!etags.contains(etag), "an etag is never given twice: \(what)") }
                etags.append(etag)
                #expect(reply["count"] == .int(count), "\(what)")
                let info = try await alice.version(.get, version)
                #expect(info["etag"]?.stringValue == etag, "GET version agrees: \(what)")
                #expect(info["count"] == .int(count), "\(what)")
            }
            try await check(
                try await alice.put(BackupClient.key(false, 5, 5), version: version), changes: true, count: 1, "new")
            try await check(
                try await alice.put(BackupClient.key(false, 6, 5), version: version), changes: false, count: 1, "worse")
            try await check(
                try await alice.put(BackupClient.key(false, 5, 5), version: version), changes: false, count: 1, "same")
            try await check(
                try await alice.put(BackupClient.key(false, 5, 4), version: version), changes: true, count: 1, "better")
            try await check(
                try await alice.put(BackupClient.key(false, 0, 0), session: "T", version: version), changes: true,
                count: 2, "second session")
            try await check(
                try await alice.keys(.put, version: version, body: ["rooms": [:]]), changes: false, count: 2, "empty")
            try await check(
                try await alice.keys(.delete, room: Self.room, session: "none", version: version), changes: false,
                count: 2, "delete a session not there")
            try await check(
                try await alice.keys(.delete, room: Self.room, session: "S", version: version), changes: true,
                count: 1, "delete a session")
            try await check(
                try await alice.keys(.delete, room: "!none:test.local", version: version), changes: false, count: 1,
                "delete an empty room")
            try await check(
                try await alice.keys(.delete, room: Self.room, version: version), changes: true, count: 0,
                "delete a room")
            try await check(
                try await alice.keys(
                    .put, version: version,
                    body: [
                        "rooms": [
                            "!a:test.local": ["sessions": ["A": BackupClient.key(false, 0, 0)]],
                            "!b:test.local": ["sessions": ["B": BackupClient.key(false, 0, 0)]],
                        ]
                    ]), changes: true, count: 2, "two rooms at once")
            try await check(
                try await alice.keys(.delete, version: version), changes: true, count: 0, "delete everything")
            try await check(
                try await alice.keys(.delete, version: version), changes: false, count: 0, "delete nothing")
        }
    }

    @Test func onlyTheCurrentVersionTakesKeys() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let key = BackupClient.key(false, 0, 0)
            let noBackup = try await alice.put(key, version: "1")
            #expect(noBackup.status == 404)
            #expect(noBackup.errcode == "M_NOT_FOUND")
            let first = try await alice.create()
            #expect(try await alice.put(key, version: first).status == 200)
            let second = try await alice.create()
            let uploads = [
                try await alice.put(key, session: "new", version: first),
                try await alice.keys(.put, room: Self.room, version: first, body: ["sessions": ["new": key]]),
                try await alice.keys(
                    .put, version: first, body: ["rooms": [Self.room: ["sessions": ["new": key]]]]),
            ]
            for stale in uploads {
                #expect(stale.status == 403)
                #expect(stale.errcode == "M_WRONG_ROOM_KEYS_VERSION")
                #expect(stale["current_version"] == .string(second))
            }
            #expect(try await alice.keys(.get, room: Self.room, session: "new", version: first).status == 404)
            #expect(try await alice.stored(version: first) == key, "an older version can still be read")
            for unknown in ["7", "abc", "01"] {
                for reply in [
                    try await alice.put(key, version: unknown), try await alice.keys(.get, version: unknown),
                    try await alice.keys(.delete, version: unknown),
                ] {
                    #expect(reply.status == 404, "\(unknown)")
                    #expect(reply.errcode == "M_NOT_FOUND", "\(unknown)")
                }
            }
            for method in [HTTPRequest.Method.put, .get, .delete] {
                let reply = try await alice.keys(method, version: nil, body: method == .put ? ["rooms": [:]] : nil)
                #expect(reply.status == 400, "\(method)")
                #expect(reply.errcode == "M_MISSING_PARAM", "\(method)")
            }

            #expect(try await alice.version(.delete, second).status == 200)
            #expect(try await alice.put(key, version: second).status == 404, "a deleted version takes nothing")
            #expect(try await alice.keys(.get, version: second).status == 404)
            let again = try await alice.put(key, session: "new", version: first)
            #expect(again.status == 200, "the older version is the current one again")
            #expect(again["count"] == 2)
        }
    }

    @Test func deletingAVersionDeletesItsKeys() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let first = try await alice.create()
            _ = try await alice.put(BackupClient.key(false, 0, 0), version: first)
            #expect(try await alice.version(.delete, first).status == 200)
            #expect(try await alice.keys(.get, version: first).status == 404)
            let second = try await alice.create()
            #expect(try await alice.keys(.get, version: second).body == ["rooms": [:]])
            #expect(try await alice.version()["count"] == 0)
        }
    }

    @Test func aUserSeesAndChangesOnlyTheirOwnBackup() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let bob = BackupClient(client: client, user: try await client.register("bob"))
            let version = try await alice.create()
            let aliceKey = BackupClient.key(true, 0, 0, "alice")
            _ = try await alice.put(aliceKey, version: version)
            #expect(try await bob.version().status == 404)
            #expect(try await bob.version(.get, version).status == 404)
            #expect(try await bob.keys(.get, version: version).status == 404)
            let hidden = try await bob.keys(.get, room: Self.room, session: "S", version: version)
            #expect(hidden.status == 404, "\(hidden.body)")
            #expect(try await bob.put(BackupClient.key(true, 0, 0, "bob"), version: version).status == 404)
            #expect(try await bob.keys(.delete, version: version).status == 404)
            #expect(
                try await bob.version(.put, version, body: ["algorithm": BackupClient.algorithm, "auth_data": [:]])
                    .status == 404)
            #expect(try await bob.version(.delete, version).status == 404)

            #expect(try await bob.create() == "1", "bob's own first version")
            #expect(try await bob.keys(.get, version: "1").body == ["rooms": [:]])
            #expect(try await bob.put(BackupClient.key(true, 0, 0, "bob"), version: "1")["count"] == 1)
            #expect(try await bob.keys(.delete, version: "1")["count"] == 0)
            #expect(try await bob.version(.delete, "1").status == 200)

            #expect(try await alice.stored(version: version) == aliceKey)
            #expect(try await alice.version()["count"] == 1)
            #expect(try await alice.version()["auth_data"] == BackupClient.authData)
        }
    }
}
