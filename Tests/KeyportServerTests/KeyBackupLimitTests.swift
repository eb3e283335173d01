import Foundation
import Hummingbird
import KeyportServer
import MatrixModel
import Testing

/// `/room_keys/keys` refuses keys of the wrong shape and past the limits, whole: nothing of a
/// refused upload is stored.
@Suite struct KeyBackupLimitTests {
    static let room = "!room:test.local"

    @Test func malformedKeysAreRefusedWhole() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let version = try await alice.create()
            let good = BackupClient.key(false, 0, 0)
            func with(_ field: String, _ value: JSONValue?) -> JSONValue {
                var key = good
                key[field] = value
                return key
            }
            let keys: [(JSONValue, Int, String, String)] = [
                (with("is_verified", nil), 400, "M_BAD_JSON", "no is_verified"),
                (with("is_verified", "yes"), 400, "M_INVALID_PARAM", "is_verified not a boolean, as Synapse"),
                (with("first_message_index", nil), 400, "M_BAD_JSON", "no first_message_index"),
                (with("first_message_index", -1), 400, "M_INVALID_PARAM", "negative index"),
                (with("forwarded_count", "1"), 400, "M_BAD_JSON", "forwarded_count as text"),
                (with("forwarded_count", -2), 400, "M_INVALID_PARAM", "negative forwards"),
                (with("session_data", "text"), 400, "M_BAD_JSON", "session_data not an object"),
                (with("session_data", nil), 400, "M_BAD_JSON", "no session_data"),
                (
                    with("session_data", ["ciphertext": .string(String(repeating: "a", count: 16 * 1024))]), 413,
                    "M_TOO_LARGE", "session_data past 16 KiB"
                ),
                ("not an object", 400, "M_BAD_JSON", "a session that is not an object"),
            ]
            for (key, status, errcode, why) in keys {
                // The bad key beside a good one: the good one is not stored either.
                let reply = try await alice.keys(
                    .put, room: Self.room, version: version, body: ["sessions": ["good": good, "bad": key]])
                #expect(reply.status == status, "\(why)")
                #expect(reply.errcode == errcode, "\(why)")
            }
            let shapes: [(String?, JSONValue)] = [
                (nil, [:]), (nil, ["rooms": "x"]), (nil, ["rooms": [Self.room: "x"]]),
                (nil, ["rooms": [Self.room: [:]]]),
                (Self.room, [:]), (Self.room, ["sessions": []]),
            ]
            for (room, body) in shapes {
                let reply = try await alice.keys(.put, room: room, version: version, body: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.errcode == "M_BAD_JSON", "\(body)")
            }
            let longRoom = "!" + String(repeating: "r", count: 255)
            let tooLong = try await alice.put(good, room: longRoom, version: version)
            #expect(tooLong.status == 400)
            #expect(tooLong.errcode == "M_INVALID_PARAM")
            let longSession = try await alice.put(good, session: String(repeating: "s", count: 256), version: version)
            #expect(longSession.errcode == "M_INVALID_PARAM")
            let info = try await alice.version()
            #expect(info["count"] == 0, "nothing refused was stored")
            #expect(info["etag"] == "0")
            #expect(try await alice.put(good, room: String(longRoom.dropLast()), version: version).status == 200)
        }
    }

    @Test func anUploadHoldsAtMostTenThousandSessions() async throws {
        var config = TestServer.config(dataDirectory: TestServer.temporaryDirectory())
        config.maxRequestSize = 8 * 1024 * 1024  // so the session limit, not the body limit, refuses
        try await TestServer.run(config: config) { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let version = try await alice.create()
            func sessions(_ count: Int) -> JSONValue {
                var sessions = JSONObject()
                for index in 0..<count { sessions["s\(index)"] = BackupClient.key(false, 0, 0) }
                return ["sessions": .object(sessions)]
            }
            let over = try await alice.keys(.put, room: Self.room, version: version, body: sessions(10_001))
            #expect(over.status == 413)
            #expect(over.errcode == "M_TOO_LARGE")
            #expect(try await alice.version()["count"] == 0)
            let at = try await alice.keys(.put, room: Self.room, version: version, body: sessions(10_000))
            #expect(at.status == 200)
            #expect(at["count"] == 10_000)
        }
    }

    @Test func theBodyLimitStillApplies() async throws {
        try await TestServer.run { client in
            let alice = BackupClient(client: client, user: try await client.register("alice"))
            let version = try await alice.create()
            let huge = BackupClient.key(false, 0, 0, String(repeating: "a", count: 1024 * 1024))
            let reply = try await alice.put(huge, version: version)
            #expect(reply.status == 413)
            #expect(reply.errcode == "M_TOO_LARGE")
        }
    }
}
