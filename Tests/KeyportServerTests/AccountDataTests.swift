import Foundation
import Hummingbird
import MatrixModel
import Testing

/// Account data over HTTP: own data only, server-controlled types refused, secret storage kept
/// exactly, and `/sync` sending each piece once after it changed (globally and per room).
@Suite struct AccountDataTests {
    static let secret: JSONValue = [
        "encrypted": [
            "key_id_1": ["iv": "gH2iNpiETFhApvW6/FFEJQ", "ciphertext": "9Ml2p3TBmdfMrA==", "mac": "mWRUtKu0+VpDIjQ"]
        ]
    ]

    @Test func readsBackWhatWasWrittenAndOnlyForItsOwner() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let bob = try await client.register("bob")
            let path = "/user/\(alice.userID)/account_data/m.cross_signing.master"
            #expect(try await client.client(.get, path, token: alice.token).errcode == "M_NOT_FOUND")
            #expect(try await client.client(.put, path, token: alice.token, body: Self.secret).status == 200)
            let read = try await client.client(.get, path, token: alice.token)
            #expect(read.status == 200)
            #expect(read.body == Self.secret, "secret storage is kept exactly as given")

            let theirs = try await client.client(.get, path, token: bob.token)
            #expect(theirs.status == 403 && theirs.errcode == "M_FORBIDDEN")
            let write = try await client.client(.put, path, token: bob.token, body: [:])
            #expect(write.status == 403 && write.errcode == "M_FORBIDDEN")
            #expect(try await client.client(.get, path, token: alice.token).body == Self.secret, "unchanged")

            for type in ["m.fully_read", "m.push_rules"] {
                let refused = try await client.client(
                    .put, "/user/\(alice.userID)/account_data/\(type)", token: alice.token, body: [:])
                #expect(refused.status == 405 && refused.errcode == "M_BAD_JSON", "\(type)")
            }
            let array = try await client.client(.put, path, token: alice.token, raw: "[1, 2]")
            #expect(array.status == 400)
            let badRoom = try await client.client(
                .put, "/user/\(alice.userID)/rooms/not-a-room/account_data/m.tag", token: alice.token, body: [:])
            #expect(badRoom.status == 400 && badRoom.errcode == "M_INVALID_PARAM")
        }
    }

    @Test func syncSendsEachChangeOnceGlobalAndPerRoom() async throws {
        try await TestServer.run { client in
            let alice = try await client.register("alice")
            let created = try await client.client(.post, "/createRoom", token: alice.token, body: [:])
            let roomID = try #require(created["room_id"]?.stringValue)
            _ = try await client.client(
                .put, "/user/\(alice.userID)/account_data/m.secret_storage.default_key", token: alice.token,
                body: ["key": "abc"])

            let first = try await client.sync(alice)
            let global = first["account_data"]?["events"]?.arrayValue ?? []
            #expect(global == [["type": "m.secret_storage.default_key", "content": ["key": "abc"]]])
            let since = try #require(first["next_batch"]?.stringValue)

            let quiet = try await client.sync(alice, since: since)
            #expect(quiet["account_data"]?["events"]?.arrayValue?.isEmpty == true, "sent once")

            // A long-polling sync is woken by a write on another connection, and gets just the
            // room's piece.
            let (next, elapsed, put) = try await client.withExtraConnection { connection in
                async let put = {
                    try await Task.sleep(for: .milliseconds(300))
                    return try await connection.send(
                        .put, "/user/\(alice.userID)/rooms/\(roomID)/account_data/m.tag", token: alice.token,
                        body: ["tags": ["u.work": [:]]])
                }()
                let start = ContinuousClock.now
                let next = try await client.sync(alice, since: since, timeout: 30_000)
                return (next, ContinuousClock.now - start, try await put)
            }
            #expect(put.status == 200, "\(put.body)")
            // Well before the 30 s timeout, with a margin for a machine running the whole suite.
            #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(20), "woken, not timed out: \(elapsed)")
            #expect(next["account_data"]?["events"]?.arrayValue?.isEmpty == true)
            let roomData = next["rooms"]?["join"]?[roomID]?["account_data"]?["events"]?.arrayValue
            #expect(roomData == [["type": "m.tag", "content": ["tags": ["u.work": [:]]]]], "\(next.body)")
            let read = try await client.client(
                .get, "/user/\(alice.userID)/rooms/\(roomID)/account_data/m.tag", token: alice.token)
            #expect(read.body == ["tags": ["u.work": [:]]])
        }
    }
}
