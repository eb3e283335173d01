import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Who may read a room over federation (a server with a user joined now, or at the event asked
/// about), 404 for what does not exist, 400 for what is not an ID; and `/query/directory`.
@Suite(.serialized)
struct FederationRoomAccessTests {
    @Test func aServerWithNoMemberIsRefused() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom()
            let message = try await f.a.sendText(f.alice, roomID, "private")
            let room = queryEncoded(roomID)
            let event = queryEncoded(message)
            let unknownEvent = queryEncoded("$unknown")
            for (method, path) in [
                ("GET", "/event/\(event)"), ("GET", "/state_ids/\(room)?event_id=\(event)"),
                ("GET", "/state/\(room)?event_id=\(event)"), ("GET", "/event_auth/\(room)/\(event)"),
                ("GET", "/backfill/\(room)?v=\(event)&limit=10"), ("POST", "/get_missing_events/\(room)"),
                // A server outside the room does not learn which events exist.
                ("GET", "/state_ids/\(room)?event_id=\(unknownEvent)"),
            ] {
                let body: JSONObject? =
                    method == "POST" ? ["earliest_events": [], "latest_events": .array([.string(message)])] : nil
                let refused = try await f.ask(method: method, path, body: body)
                #expect(refused.status == 403, "\(path): \(refused.body)")
                #expect(refused.body["errcode"] == "M_FORBIDDEN", "\(path)")
            }

            let unknownRoom = queryEncoded("!unknown:\(f.serverA.serverName)")
            for path in [
                "/state_ids/\(unknownRoom)?event_id=\(event)", "/event_auth/\(unknownRoom)/\(event)",
                "/backfill/\(unknownRoom)?v=\(event)&limit=10",
            ] {
                let notFound = try await f.ask(path)
                #expect(notFound.status == 404, "\(path): \(notFound.body)")
                #expect(notFound.body["errcode"] == "M_NOT_FOUND", "\(path)")
            }
            let notARoom = try await f.ask("/state_ids/room?event_id=\(event)")
            #expect(notARoom.status == 400)
            #expect(notARoom.body["errcode"] == "M_INVALID_PARAM")
        }
    }

    /// After its last user left, a server reads nothing of the room as a whole, but still the
    /// events it was in the room for.
    @Test func aServerThatLeftReadsOnlyWhatItWasThereFor() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom()
            try await f.bobSets("join", in: roomID)
            let during = try await f.a.sendText(f.alice, roomID, "bob is here")
            let probeBefore = try await f.ask("/backfill/\(queryEncoded(roomID))?v=\(queryEncoded(during))&limit=5")
            #expect(probeBefore.status == 200, "in the room, backfill is answered")
            try await f.bobSets("leave", in: roomID)
            let later = try await f.a.sendText(f.alice, roomID, "bob is gone")
            let room = queryEncoded(roomID)

            let seen = try await f.ask("/event/\(queryEncoded(during))")
            #expect(seen.status == 200)
            try await f.expectServedAsStored(seen.body["pdus"]?.arrayValue?.first, during)
            #expect(try await f.ask("/state_ids/\(room)?event_id=\(queryEncoded(during))").status == 200)
            #expect(try await f.ask("/event/\(queryEncoded(later))").status == 403)
            #expect(try await f.ask("/state_ids/\(room)?event_id=\(queryEncoded(later))").status == 403)
            #expect(try await f.ask("/backfill/\(room)?v=\(queryEncoded(later))&limit=5").status == 403)
            let missing = try await f.ask(
                method: "POST", "/get_missing_events/\(room)",
                body: ["earliest_events": [], "latest_events": .array([.string(later)])])
            #expect(missing.status == 403)
        }
    }

    @Test func directoryAnswersLocalAliases() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom(alias: "lobby")
            let alias = "#lobby:\(f.serverA.serverName)"
            let path = "/query/directory?room_alias=\(queryEncoded(alias))"
            let alone = try await f.ask(path)
            try #require(alone.status == 200, "\(alone.body)")
            #expect(alone.body == ["room_id": .string(roomID), "servers": .array([.string(f.serverA.serverName)])])

            try await f.bobSets("join", in: roomID)
            let shared = try await f.ask(path)
            #expect(
                shared.body["servers"]
                    == .array([.string(f.serverA.serverName), .string(f.serverB.serverName)]))
            try await f.bobSets("leave", in: roomID)
            #expect(try await f.ask(path).body["servers"] == .array([.string(f.serverA.serverName)]))

            for (query, status, errcode) in [
                ("?room_alias=\(queryEncoded("#nope:\(f.serverA.serverName)"))", 404, "M_NOT_FOUND"),
                ("?room_alias=\(queryEncoded("#lobby:elsewhere.example"))", 404, "M_NOT_FOUND"),
                ("?room_alias=lobby", 400, "M_INVALID_PARAM"), ("", 400, "M_MISSING_PARAM"),
            ] {
                let refused = try await f.ask("/query/directory" + query)
                #expect(refused.status == status, "\(query): \(refused.body)")
                #expect(refused.body["errcode"]?.stringValue == errcode, "\(query)")
            }
        }
    }
}
