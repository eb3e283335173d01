import KeyportTestSupport
import MatrixModel
import Testing

@testable import KeyportFederation

/// Answers of the wrong shape are refused with a reason naming the endpoint and the field; error
/// answers keep their `errcode`; no answer holds more events than were asked for.
@Suite struct RoomFederationAnswerTests {
    let room = RoomPeer.room
    let alice = RoomPeer.alice

    /// A `make_join`/`make_leave` template with `changes` applied to a good one.
    func template(membership: String = "join", _ changes: [String: JSONValue] = [:]) -> String {
        var event: JSONObject = [
            "type": "m.room.member", "room_id": .string(room), "sender": .string(alice),
            "state_key": .string(alice), "content": ["membership": .string(membership)],
        ]
        for (key, value) in changes { event[key] = value }
        return JSONValue.object(["room_version": "11", "event": .object(event)]).encodedString()
    }

    @Test func aTemplateForAnythingButWhatWasAskedIsRefused() async throws {
        let wrong: [(field: String, change: [String: JSONValue])] = [
            ("event.room_id", ["room_id": "!other:remote.test"]),
            ("event.room_id", ["room_id": .null]),
            ("event.sender", ["sender": "@mallory:origin.test"]),
            ("event.state_key", ["state_key": "@mallory:origin.test"]),
            ("event.type", ["type": "m.room.message"]),
            ("event.content.membership", ["content": ["membership": "invite"]]),
            ("event.content.membership", ["content": "join"]),
        ]
        for (field, change) in wrong {
            try await RoomPeer.run(answering: template(change)) { client, peer, _ in
                await RoomPeer.expectInvalid(["make_join", peer, field]) {
                    () async throws(FederationError) in
                    try await client.makeJoin(peer, roomID: room, userID: alice, roomVersions: ["12"])
                }
            }
        }
        try await RoomPeer.run(answering: template(membership: "join")) { client, peer, _ in
            await RoomPeer.expectInvalid(["make_leave", "event.content.membership"]) {
                () async throws(FederationError) in
                try await client.makeLeave(peer, roomID: room, userID: alice)
            }
        }
        // The same template for the right user and room is taken, so the refusals above are the checks'.
        try await RoomPeer.run(answering: template()) { client, peer, _ in
            _ = try await client.makeJoin(peer, roomID: room, userID: alice, roomVersions: ["12"])
        }
    }

    @Test func aTemplateAnswerOfTheWrongShapeIsRefused() async throws {
        let answers: [(json: String, mentions: [String])] = [
            (#"{"room_version": "11"}"#, ["'event' is missing"]),
            (#"{"room_version": "11", "event": "join"}"#, ["'event' is not an object"]),
            (#"{"room_version": 11, "event": {}}"#, ["event.room_id"]),
        ]
        for (json, mentions) in answers {
            try await RoomPeer.run(answering: json) { client, peer, _ in
                await RoomPeer.expectInvalid(mentions) { () async throws(FederationError) in
                    try await client.makeJoin(peer, roomID: room, userID: alice, roomVersions: ["11"])
                }
            }
        }
        var numericVersion = try #require(try JSONParser().parse(template()).objectValue)
        numericVersion["room_version"] = 11
        try await RoomPeer.run(answering: JSONValue.object(numericVersion).encodedString()) { client, peer, _ in
            await RoomPeer.expectInvalid(["'room_version' is not a string"]) { () async throws(FederationError) in
                try await client.makeJoin(peer, roomID: room, userID: alice, roomVersions: ["11"])
            }
        }
    }

    @Test func errorAnswersKeepTheirErrcode() async throws {
        let errors: [(status: Int, json: String, errcode: String)] = [
            (
                400, #"{"errcode": "M_INCOMPATIBLE_ROOM_VERSION", "error": "no", "room_version": "3"}"#,
                "M_INCOMPATIBLE_ROOM_VERSION"
            ),
            (403, #"{"errcode": "M_FORBIDDEN", "error": "You are not invited to this room"}"#, "M_FORBIDDEN"),
            (404, #"{"errcode": "M_NOT_FOUND", "error": "Unknown room"}"#, "M_NOT_FOUND"),
        ]
        for (status, json, errcode) in errors {
            try await RoomPeer.run(answering: json, status: status) { client, peer, _ in
                let error = await RoomPeer.failure { () async throws(FederationError) in
                    try await client.makeJoin(peer, roomID: room, userID: alice, roomVersions: ["10", "11", "12"])
                }
                #expect(error?.errcode == errcode)
                guard case .status(let code, let body) = error else {
                    Issue.record("expected a status, got \(String(describing: error))")
                    return
                }
                #expect(code == status)
                if errcode == "M_INCOMPATIBLE_ROOM_VERSION" { #expect(body?["room_version"] == "3") }
            }
        }
        try await RoomPeer.run(answering: "not json", status: 500) { client, peer, _ in
            let error = await RoomPeer.failure { () async throws(FederationError) in
                try await client.makeLeave(peer, roomID: room, userID: alice)
            }
            #expect(error?.errcode == nil)
        }
        #expect(FederationError.invalidResponse("M_FORBIDDEN").errcode == nil)
    }

    @Test func aSendJoinAnswerOfTheWrongShapeIsRefused() async throws {
        let good = RoomPeer.pdu(1)
        let answers: [(json: String, mentions: [String])] = [
            (#"{"auth_chain": []}"#, ["send_join", "'state' is missing"]),
            (#"{"state": {}, "auth_chain": []}"#, ["'state' is not an array"]),
            (#"{"state": [\#(good), "$event"], "auth_chain": []}"#, ["'state' entry 1 is not an object"]),
            (#"{"state": [], "auth_chain": [\#(good), 3]}"#, ["'auth_chain' entry 1 is not an object"]),
            (#"{"state": []}"#, ["'auth_chain' is missing"]),
            (#"{"state": [], "auth_chain": [], "event": [\#(good)]}"#, ["'event' is not an object"]),
            (#"{"state": [], "auth_chain": [], "members_omitted": "no"}"#, ["'members_omitted' is not a boolean"]),
            (#"{"state": [], "auth_chain": [], "members_omitted": true}"#, ["'servers_in_room' is missing"]),
            (#"{"state": [], "auth_chain": [], "servers_in_room": ["a.test", 7]}"#, ["'servers_in_room' entry 1"]),
            (#"{"state": [], "auth_chain": [], "servers_in_room": "a.test"}"#, ["'servers_in_room' is not an array"]),
            (#"{"state": [], "auth_chain": [], "origin": 1}"#, ["'origin' is not a string"]),
        ]
        for (json, mentions) in answers {
            try await RoomPeer.run(answering: json) { client, peer, _ in
                await RoomPeer.expectInvalid(mentions) { () async throws(FederationError) in
                    try await client.sendJoin(peer, roomID: room, eventID: "$j", event: [:])
                }
            }
        }
    }

    @Test func anInviteAnswerWithoutTheEventIsRefused() async throws {
        for (json, mention) in [(#"{}"#, "'event' is missing"), (#"{"event": []}"#, "'event' is not an object")] {
            try await RoomPeer.run(answering: json) { client, peer, _ in
                await RoomPeer.expectInvalid(["invite", mention]) { () async throws(FederationError) in
                    try await client.invite(
                        peer, roomID: room, eventID: "$i", event: [:], roomVersion: "12", inviteRoomState: [])
                }
            }
        }
    }

    @Test func moreEventsThanAskedForAreRefused() async throws {
        try await RoomPeer.run(answering: #"{"events": \#(RoomPeer.pdus(0..<11))}"#) { client, peer, _ in
            await RoomPeer.expectInvalid(["get_missing_events", "'events' holds 11 events, over 10"]) {
                () async throws(FederationError) in
                try await client.missingEvents(peer, roomID: room, earliestEvents: [], latestEvents: ["$l"], limit: 10)
            }
            // Eleven are fine when eleven were asked for.
            let events = try await client.missingEvents(
                peer, roomID: room, earliestEvents: [], latestEvents: ["$l"], limit: 11)
            #expect(events.count == 11)
        }
        try await RoomPeer.run(answering: #"{"pdus": \#(RoomPeer.pdus(0..<101))}"#) { client, peer, _ in
            await RoomPeer.expectInvalid(["backfill", "'pdus' holds 101 events, over 100"]) {
                () async throws(FederationError) in
                try await client.backfill(peer, roomID: room, from: ["$l"], limit: 1000)
            }
        }
        try await RoomPeer.run(answering: #"{"events": [\#(RoomPeer.pdu(0)), null]}"#) { client, peer, _ in
            await RoomPeer.expectInvalid(["'events' entry 1 is not an object"]) { () async throws(FederationError) in
                try await client.missingEvents(peer, roomID: room, earliestEvents: [], latestEvents: ["$l"], limit: 10)
            }
        }
    }

    @Test func anEventAnswerMustHoldExactlyOnePDU() async throws {
        let answers: [(json: String, mention: String)] = [
            (#"{"origin": "remote.test", "pdus": []}"#, "'pdus' is empty"),
            (#"{"origin": "remote.test", "pdus": \#(RoomPeer.pdus(0..<2))}"#, "'pdus' holds 2 events, over 1"),
            (#"{"origin": "remote.test"}"#, "'pdus' is missing"),
            (#"{"pdus": ["$e"]}"#, "'pdus' entry 0 is not an object"),
        ]
        for (json, mention) in answers {
            try await RoomPeer.run(answering: json) { client, peer, _ in
                await RoomPeer.expectInvalid(["event answer", mention]) { () async throws(FederationError) in
                    try await client.event(peer, eventID: "$e")
                }
            }
        }
    }

    @Test func stateAnswersOfTheWrongShapeAreRefused() async throws {
        let pdu = RoomPeer.pdu(0)
        let states: [(json: String, mention: String)] = [
            (#"{"auth_chain": []}"#, "'pdus' is missing"),
            (#"{"pdus": [\#(pdu)], "auth_chain": [[]]}"#, "'auth_chain' entry 0 is not an object"),
        ]
        for (json, mention) in states {
            try await RoomPeer.run(answering: json) { client, peer, _ in
                await RoomPeer.expectInvalid(["state answer", mention]) { () async throws(FederationError) in
                    try await client.state(peer, roomID: room, at: "$e")
                }
            }
        }
        try await RoomPeer.run(answering: #"{"auth_chain": {}}"#) { client, peer, _ in
            await RoomPeer.expectInvalid(["event_auth", "'auth_chain' is not an array"]) {
                () async throws(FederationError) in
                try await client.eventAuth(peer, roomID: room, eventID: "$e")
            }
        }
        let long = "$" + String(repeating: "a", count: 255)
        let stateIDs: [(json: String, mention: String)] = [
            (#"{"pdu_ids": ["$a", 5], "auth_chain_ids": []}"#, "'pdu_ids' entry 1 is not a string"),
            (#"{"pdu_ids": ["$a", {"event_id": "$b"}], "auth_chain_ids": []}"#, "'pdu_ids' entry 1 is not a string"),
            (#"{"pdu_ids": ["$a"], "auth_chain_ids": ["b"]}"#, "'auth_chain_ids' entry 0 is not an identifier"),
            (#"{"pdu_ids": ["$"], "auth_chain_ids": []}"#, "'pdu_ids' entry 0 is not an identifier"),
            (#"{"pdu_ids": ["\#(long)"], "auth_chain_ids": []}"#, "'pdu_ids' entry 0 is not an identifier"),
            (#"{"pdu_ids": []}"#, "'auth_chain_ids' is missing"),
        ]
        for (json, mention) in stateIDs {
            try await RoomPeer.run(answering: json) { client, peer, _ in
                await RoomPeer.expectInvalid(["state_ids", mention]) { () async throws(FederationError) in
                    try await client.stateIDs(peer, roomID: room, at: "$e")
                }
            }
        }
        // 255 bytes is the longest ID there may be.
        try await RoomPeer.run(answering: #"{"pdu_ids": ["\#(long.dropLast())"], "auth_chain_ids": []}"#) {
            client, peer, _ in
            let ids = try await client.stateIDs(peer, roomID: room, at: "$e")
            #expect(ids.pduIDs == [String(long.dropLast())])
        }
    }

    @Test func aDirectoryAnswerOfTheWrongShapeIsRefused() async throws {
        let answers: [(json: String, mention: String)] = [
            (#"{"room_id": 1, "servers": []}"#, "'room_id' is not a string"),
            (##"{"room_id": "#lobby:remote.test", "servers": []}"##, "'room_id' is not an identifier starting with !"),
            (#"{"servers": ["remote.test"]}"#, "'room_id' is missing"),
            (#"{"room_id": "!r:remote.test"}"#, "'servers' is missing"),
            (#"{"room_id": "!r:remote.test", "servers": [["remote.test"]]}"#, "'servers' entry 0 is not a string"),
        ]
        for (json, mention) in answers {
            try await RoomPeer.run(answering: json) { client, peer, _ in
                await RoomPeer.expectInvalid(["query/directory", mention]) { () async throws(FederationError) in
                    try await client.roomAlias(peer, alias: "#lobby:remote.test")
                }
            }
        }
    }
}
