import Foundation
import Hummingbird
import MatrixModel
import Testing

/// `/room_keys/version` over HTTP: versions numbered per user and never reused, the current
/// version, updates of `auth_data`, deletion, and a restart. Keys: `KeyBackupKeyTests`.
@Suite struct KeyBackupTests {
    @Test func versionsCountUpAndAreNeverReused() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let none = try await alice.version()
            #expect(none.status == 404)
            #expect(none.errcode == "M_NOT_FOUND")
            #expect(try await alice.create() == "1")
            let current = try await alice.version()
            #expect(current.status == 200)
            #expect(
                current.body == [
                    "algorithm": BackupClient.algorithm, "auth_data": BackupClient.authData, "count": 0, "etag": "0",
                    "version": "1",
                ])
            #expect(try await alice.version(.get, "1").body == current.body)
            #expect(try await alice.create(algorithm: "m.other", authData: [:]) == "2")
            #expect(try await alice.version()["version"] == "2")
            #expect(try await alice.version()["algorithm"] == "m.other")

            let deleted = try await alice.version(.delete, "2")
            #expect(deleted.status == 200)
            #expect(deleted.body == [:])
            #expect(try await alice.version()["version"] == "1", "the highest version not deleted")
            #expect(try await alice.version(.get, "2").status == 404)
            #expect(try await alice.version(.delete, "2").status == 200, "deleting again succeeds, as the spec says")
            #expect(try await alice.create() == "3", "a deleted version's number is not given again")
            let unknown = try await alice.version(.delete, "9")
            #expect(unknown.status == 404)
            #expect(unknown.errcode == "M_NOT_FOUND")
            for text in ["03", "abc", "-3", "3.0", "99999999999999999999"] {
                let reply = try await alice.version(.get, text)
                #expect(reply.status == 404, "\(text)")
                #expect(reply.errcode == "M_NOT_FOUND", "\(text)")
            }
            #expect(try await alice.version(.delete, "3").status == 200)
            #expect(try await alice.version(.delete, "1").status == 200)
            #expect(try await alice.version().status == 404, "no version left")
            #expect(try await client.client(.get, "/room_keys/version").status == 401)
        }
    }

    @Test func creatingNeedsAnAlgorithmAndAuthDataObject() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let bodies: [(JSONValue, String)] = [
                (["auth_data": BackupClient.authData], "M_BAD_JSON"),
                (["algorithm": BackupClient.algorithm], "M_BAD_JSON"),
                (["algorithm": BackupClient.algorithm, "auth_data": "a string"], "M_BAD_JSON"),
                (["algorithm": 1, "auth_data": BackupClient.authData], "M_BAD_JSON"),
                (["algorithm": "", "auth_data": BackupClient.authData], "M_INVALID_PARAM"),
                (["algorithm": .string(String(repeating: "a", count: 256)), "auth_data": [:]], "M_INVALID_PARAM"),
            ]
            for (body, errcode) in bodies {
                let reply = try await alice.version(.post, body: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.errcode == errcode, "\(body)")
            }
            let large: JSONValue = ["padding": .string(String(repeating: "a", count: 64 * 1024))]
            let tooLarge = try await alice.version(.post, body: ["algorithm": "m.a", "auth_data": large])
            #expect(tooLarge.status == 413)
            #expect(tooLarge.errcode == "M_TOO_LARGE")
            #expect(try await alice.version().status == 404, "nothing was created")
            #expect(try await alice.create(algorithm: .string(String(repeating: "a", count: 255))) == "1")
        }
    }

    @Test func authDataIsKeptAsGiven() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            // Member names that are equal Swift strings but different bytes, escapes, a fraction,
            // null, nesting and the largest integer canonical JSON allows.
            let authData = #"""
                {"\u00e9": 1, "e\u0301": [true, null, {"n": -3}], "f": 1.5, "t": "\ud83d\udd11 \"q\" \\",
                 "big": 9007199254740991, "signatures": {"@alice:test.local": {"ed25519:D": "SIG"}}}
                """#
            let given = try JSONParser(options: .lenient).parse(authData)
            let created = try await alice.version(
                .post, raw: #"{"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": "# + authData + "}")
            #expect(created.status == 200)
            #expect(try await alice.version()["auth_data"] == given)
            #expect(try await alice.version()["auth_data"]?.objectValue?.count == 6)

            let updated = try await alice.version(
                .put, "1", raw: #"{"algorithm": "m.megolm_backup.v1.curve25519-aes-sha2", "auth_data": {"e\u0301": 2}}"#
            )
            #expect(updated.status == 200)
            #expect(try await alice.version()["auth_data"] == ["e\u{301}": 2])
            let names = try await alice.version()["auth_data"]?.objectValue?.keys.map { Array($0.utf8) }
            #expect(names == [Array("e\u{301}".utf8)], "compared by bytes, not as Swift strings")
        }
    }

    @Test func updatesChangeOnlyAuthData() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let version = try await alice.create()
            _ = try await alice.put(BackupClient.key(false, 0, 0), version: version)
            let newAuth: JSONValue = ["public_key": "NEW"]
            let update = try await alice.version(
                .put, version, body: ["algorithm": BackupClient.algorithm, "auth_data": newAuth])
            #expect(update.status == 200)
            #expect(update.body == [:])
            let after = try await alice.version()
            #expect(after["auth_data"] == newAuth)
            #expect(after["etag"] == "1", "the keys did not change")
            #expect(after["count"] == 1)
            let same = try await alice.version(
                .put, version, body: ["algorithm": BackupClient.algorithm, "auth_data": [:], "version": "1"])
            #expect(same.status == 200, "a version in the body that matches is fine")
            #expect(try await alice.version()["auth_data"] == [:])

            let refused: [(JSONValue, String)] = [
                (["algorithm": BackupClient.algorithm, "auth_data": newAuth, "version": "2"], "M_INVALID_PARAM"),
                (["algorithm": "m.other", "auth_data": newAuth], "M_INVALID_PARAM"),
                (["auth_data": newAuth], "M_BAD_JSON"),
                (["algorithm": BackupClient.algorithm], "M_BAD_JSON"),
            ]
            for (body, errcode) in refused {
                let reply = try await alice.version(.put, version, body: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.errcode == errcode, "\(body)")
            }
            #expect(try await alice.version()["auth_data"] == [:], "nothing refused was stored")
            let unknown = try await alice.version(
                .put, "5", body: ["algorithm": BackupClient.algorithm, "auth_data": [:]])
            #expect(unknown.status == 404)
            #expect(unknown.errcode == "M_NOT_FOUND")

            let second = try await alice.create()
            let old = try await alice.version(
                .put, version, body: ["algorithm": BackupClient.algorithm, "auth_data": newAuth])
            #expect(old.status == 200, "an older version not deleted can be updated")
            #expect(try await alice.version(.get, version)["auth_data"] == newAuth)
            #expect(try await alice.version(.delete, second).status == 200)
            let gone = try await alice.version(
                .put, second, body: ["algorithm": BackupClient.algorithm, "auth_data": [:]])
            #expect(gone.status == 404, "a deleted version cannot be updated")
        }
    }

    @Test func backupsSurviveARestart() async throws {
        let config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        let captured = Captured<TestUser>()
        try await TestServer.run(config: config) { client in
            let user = try await client.register("alice")
            let alice = BackupClient(client: client, user: user)
            _ = try await alice.create()
            #expect(try await alice.version(.delete, "1").status == 200)
            #expect(try await alice.create() == "2")
            #expect(try await alice.put(BackupClient.key(true, 3, 1, "kept"), version: "2").status == 200)
            await captured.set(user)
        }
        let user = try #require(await captured.value)
        try await TestServer.run(config: config) { client in
            let alice = BackupClient(client: client, user: user)
            let current = try await alice.version()
            #expect(
                current.body == [
                    "algorithm": BackupClient.algorithm, "auth_data": BackupClient.authData, "count": 1, "etag": "1",
                    "version": "2",
                ])
            #expect(try await alice.stored(version: "2") == BackupClient.key(true, 3, 1, "kept"))
            #expect(try await alice.version(.get, "1").status == 404)
            #expect(try await alice.create() == "3", "numbers stay used across a restart")
        }
    }
}
