import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import MatrixRooms
import Testing

/// `/get_missing_events` and `/backfill`: which events, in which order, how many; and what a server
/// may not read served redacted.
@Suite(.serialized)
struct FederationHistoryReadTests {
    @Test func missingEventsWalkBackBreadthFirstOldestFirst() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom()
            try await f.bobSets("join", in: roomID)
            var m: [String] = []
            for index in 0..<25 { m.append(try await f.a.sendText(f.alice, roomID, "m\(index)")) }

            #expect(try await missing(f, roomID, earliest: [m[1]], latest: [m[8]], limit: 3) == Array(m[5...7]))
            #expect(
                try await missing(f, roomID, earliest: [m[1]], latest: [m[8]]) == Array(m[2...7]), "stops at earliest")
            #expect(try await missing(f, roomID, earliest: [], latest: [m[24]]).count == 10, "10 by default")
            let capped = try await missing(f, roomID, earliest: [], latest: [m[24]], limit: 50)
            #expect(capped == Array(m[4...23]), "20 at most")
            let depth5 = try await f.stored(m[5]).depth
            #expect(
                try await missing(f, roomID, earliest: [], latest: [m[8]], minDepth: depth5) == Array(m[5...7]),
                "nothing below min_depth")
            #expect(try await missing(f, roomID, earliest: [], latest: ["$unknown"]).isEmpty)

            // A fork: a generation at a time, each event's prev events in order; the walk reversed.
            let left = try await f.writerA.append(
                roomID: roomID, type: "m.room.message", sender: f.alice.userID, content: ["body": "left"],
                prevEvents: [m[24]])
            let right = try await f.writerA.append(
                roomID: roomID, type: "m.room.message", sender: f.alice.userID, content: ["body": "right"],
                prevEvents: [m[24]])
            let forkState = try #require(try await f.store.stateAfter(eventID: m[24]))
            let merge = try await f.writerA.append(
                roomID: roomID, type: "m.room.message", sender: f.alice.userID, content: ["body": "merge"],
                prevEvents: [left.eventID, right.eventID], stateBefore: forkState)
            #expect(
                try await missing(f, roomID, earliest: [m[22]], latest: [merge.eventID], limit: 3)
                    == [m[24], right.eventID, left.eventID])

            let answer = try await f.ask(
                method: "POST", "/get_missing_events/\(queryEncoded(roomID))",
                body: ["earliest_events": .array([.string(m[0])]), "latest_events": .array([.string(m[3])])])
            #expect(try f.ids(answer.body["events"]) == [m[1], m[2]])
            for (pdu, id) in zip(answer.body["events"]?.arrayValue ?? [], m[1...2]) {
                try await f.expectServedAsStored(pdu, id)
            }

            let path = "/get_missing_events/\(queryEncoded(roomID))"
            for (body, errcode) in [
                (["earliest_events": []], "M_MISSING_PARAM"),
                (["earliest_events": [], "latest_events": "x"], "M_BAD_JSON"),
                (["earliest_events": [], "latest_events": [], "limit": "5"], "M_BAD_JSON"),
                (["earliest_events": [], "latest_events": [], "limit": -1], "M_INVALID_PARAM"),
            ] as [(JSONObject, String)] {
                let refused = try await f.ask(method: "POST", path, body: body)
                #expect(refused.status == 400, "\(body)")
                #expect(refused.body["errcode"]?.stringValue == errcode, "\(body)")
            }
        }
    }

    @Test func backfillWalksBackFromTheGivenEvents() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom()
            try await f.bobSets("join", in: roomID)
            var m: [String] = []
            for index in 0..<105 { m.append(try await f.a.sendText(f.alice, roomID, "m\(index)")) }

            let three = try await backfill(f, roomID, from: [m[104]], limit: "3")
            #expect(try f.ids(three.body["pdus"]) == [m[104], m[103], m[102]])
            #expect(three.body["origin"]?.stringValue == f.serverA.serverName)
            #expect(three.body["origin_server_ts"]?.intValue != nil)
            for (pdu, id) in zip(three.body["pdus"]?.arrayValue ?? [], [m[104], m[103], m[102]]) {
                try await f.expectServedAsStored(pdu, id)
            }
            let capped = try await backfill(f, roomID, from: [m[104]], limit: "1000")
            #expect(try f.ids(capped.body["pdus"]) == Array(m[5...104].reversed()), "100 at most")

            // From both sides of a fork: the deepest first, the later one first among equals.
            let left = try await f.writerA.append(
                roomID: roomID, type: "m.room.message", sender: f.alice.userID, content: ["body": "left"],
                prevEvents: [m[104]])
            let right = try await f.writerA.append(
                roomID: roomID, type: "m.room.message", sender: f.alice.userID, content: ["body": "right"],
                prevEvents: [m[104]])
            let fork = try await backfill(f, roomID, from: [left.eventID, right.eventID], limit: "3")
            #expect(try f.ids(fork.body["pdus"]) == [right.eventID, left.eventID, m[104]])

            let base = "/backfill/\(queryEncoded(roomID))"
            for (query, errcode) in [
                ("?limit=3", "M_MISSING_PARAM"), ("?v=\(queryEncoded(m[1]))", "M_MISSING_PARAM"),
                ("?v=\(queryEncoded(m[1]))&limit=many", "M_INVALID_PARAM"),
                ("?v=\(queryEncoded(m[1]))&limit=0", "M_INVALID_PARAM"),
            ] {
                let refused = try await f.ask(base + query)
                #expect(refused.status == 400, "\(query)")
                #expect(refused.body["errcode"]?.stringValue == errcode, "\(query)")
            }
        }
    }

    /// `joined` history: what was sent while bob (B's only user) was away reaches B redacted, on
    /// every endpoint that serves history; what was sent while he was in the room, in full.
    @Test func historyHiddenFromTheServerIsServedRedacted() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom(historyVisibility: "joined")
            let visibility = try #require(
                try await f.currentStateIDs(roomID)[RoomStateKey("m.room.history_visibility", "")])
            let join = try await f.bobSets("join", in: roomID)
            let before = try await f.a.sendText(f.alice, roomID, "while bob is here")
            let leave = try await f.bobSets("leave", in: roomID)
            let away = try await f.a.sendText(f.alice, roomID, "while bob is away")
            let rejoin = try await f.bobSets("join", in: roomID)
            let after = try await f.a.sendText(f.alice, roomID, "bob is back")

            let history = try await backfill(f, roomID, from: [after], limit: "100")
            let pdus = history.body["pdus"]?.arrayValue ?? []
            let ids = try f.ids(history.body["pdus"])
            try #require(Array(ids.prefix(6)) == [after, rejoin.eventID, away, leave.eventID, before, join.eventID])
            try await f.expectServedAsStored(pdus[0], after)
            try await f.expectServedAsStored(pdus[1], rejoin.eventID)
            try await f.expectServedRedacted(pdus[2], away)
            #expect(pdus[2]["content"] == .object([:]))
            try await f.expectServedRedacted(pdus[3], leave.eventID)
            try await f.expectServedAsStored(pdus[4], before)
            try await f.expectServedAsStored(pdus[5], join.eventID)
            let visibilityIndex = try #require(ids.firstIndex(of: visibility))
            try await f.expectServedRedacted(pdus[visibilityIndex], visibility)
            #expect(pdus[visibilityIndex]["content"]?["history_visibility"] == "joined", "kept by redaction")

            let single = try await f.ask("/event/\(queryEncoded(away))")
            try await f.expectServedRedacted(single.body["pdus"]?.arrayValue?.first, away)
            let seen = try await f.ask("/event/\(queryEncoded(before))")
            try await f.expectServedAsStored(seen.body["pdus"]?.arrayValue?.first, before)

            let gap = try await f.ask(
                method: "POST", "/get_missing_events/\(queryEncoded(roomID))",
                body: ["earliest_events": .array([.string(before)]), "latest_events": .array([.string(after)])])
            let gapEvents = gap.body["events"]?.arrayValue ?? []
            #expect(try f.ids(gap.body["events"]) == [leave.eventID, away, rejoin.eventID])
            try await f.expectServedRedacted(gapEvents.first, leave.eventID)
            try await f.expectServedRedacted(gapEvents.dropFirst().first, away)
            try await f.expectServedAsStored(gapEvents.last, rejoin.eventID)
        }
    }

    /// The event IDs `/get_missing_events` answers, in order.
    private func missing(
        _ f: RoomReadFixture, _ roomID: String, earliest: [String], latest: [String], limit: Int64? = nil,
        minDepth: Int64? = nil
    ) async throws -> [String] {
        var body: JSONObject = [
            "earliest_events": .array(earliest.map { .string($0) }),
            "latest_events": .array(latest.map { .string($0) }),
        ]
        if let limit { body["limit"] = .int(limit) }
        if let minDepth { body["min_depth"] = .int(minDepth) }
        let answer = try await f.ask(method: "POST", "/get_missing_events/\(queryEncoded(roomID))", body: body)
        try #require(answer.status == 200, "\(answer.body)")
        return try f.ids(answer.body["events"])
    }

    private func backfill(_ f: RoomReadFixture, _ roomID: String, from: [String], limit: String) async throws
        -> (status: Int, body: JSONValue)
    {
        let query = from.map { "v=\(queryEncoded($0))" }.joined(separator: "&")
        let answer = try await f.ask("/backfill/\(queryEncoded(roomID))?\(query)&limit=\(limit)")
        try #require(answer.status == 200, "\(answer.body)")
        return answer
    }
}
