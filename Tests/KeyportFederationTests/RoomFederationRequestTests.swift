import KeyportTestSupport
import MatrixModel
import Testing

@testable import KeyportFederation

/// What ``RoomFederationClient`` sends for each room endpoint (method, target with every ID
/// percent-encoded, query, body, signed over the target as it arrives) and what it makes of a
/// good answer: PDUs handed back exactly as they were received.
@Suite struct RoomFederationRequestTests {
    let room = RoomPeer.room
    let alice = RoomPeer.alice

    @Test func makeJoinAsksForOurVersionsAndReturnsTheTemplate() async throws {
        let answer = #"""
            {"room_version": "12", "event": {"type": "m.room.member", "room_id": "!room:remote.test",
             "sender": "@alice:origin.test", "state_key": "@alice:origin.test", "origin": "remote.test",
             "origin_server_ts": 1700000000000, "content": {"membership": "join"}, "prev_events": ["$x"]}}
            """#
        try await RoomPeer.run(answering: answer) { client, peer, server in
            let template = try await client.makeJoin(
                peer, roomID: room, userID: alice, roomVersions: ["10", "11", "12"])
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "GET")
            #expect(
                request.target
                    == "/_matrix/federation/v1/make_join/%21room%3Aremote.test/%40alice%3Aorigin.test?ver=10&ver=11&ver=12"
            )
            #expect(request.body.isEmpty)
            #expect(template.roomVersion == "12")
            let sent = try JSONParser().parse(answer).objectValue?["event"]?.objectValue
            #expect(template.event == sent)
        }
    }

    @Test func sendJoinSendsTheEventAndReturnsTheRoom() async throws {
        let answer = """
            {"origin": "remote.test", "members_omitted": false, "servers_in_room": ["remote.test", "other.test:8448"],
             "state": \(RoomPeer.pdus(0..<3)), "auth_chain": \(RoomPeer.pdus(3..<5)), "event": \(RoomPeer.pdu(9))}
            """
        try await RoomPeer.run(answering: answer) { client, peer, server in
            let join = try RoomPeer.parsedPDU(42, type: "m.room.member")
            let result = try await client.sendJoin(peer, roomID: room, eventID: "$join+Ev/1", event: join)
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "PUT")
            #expect(
                request.target
                    == "/_matrix/federation/v2/send_join/%21room%3Aremote.test/%24join%2BEv%2F1?omit_members=false")
            #expect(try RoomPeer.body(request) == join)
            #expect(try result.state == RoomPeer.parsedPDUs(0..<3))
            #expect(try result.authChain == RoomPeer.parsedPDUs(3..<5))
            #expect(try result.event == RoomPeer.parsedPDU(9))
            #expect(result.membersOmitted == false)
            #expect(result.serversInRoom == ["remote.test", "other.test:8448"])
            #expect(result.origin == "remote.test")
        }
    }

    @Test func sendJoinWithoutOptionalFields() async throws {
        try await RoomPeer.run(answering: #"{"state": [], "auth_chain": []}"#) { client, peer, _ in
            let result = try await client.sendJoin(peer, roomID: room, eventID: "$j", event: [:])
            #expect(result == SendJoinAnswer(state: [], authChain: []))
        }
    }

    @Test func inviteSendsEventVersionAndStrippedStateAndReturnsTheSignedEvent() async throws {
        try await RoomPeer.run(answering: #"{"event": \#(RoomPeer.pdu(7, type: "m.room.member"))}"#) {
            client, peer, server in
            let invite = try RoomPeer.parsedPDU(6, type: "m.room.member")
            let create = try RoomPeer.parsedPDU(1, type: "m.room.create")
            let signed = try await client.invite(
                peer, roomID: room, eventID: "$invite", event: invite, roomVersion: "12", inviteRoomState: [create])
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "PUT")
            #expect(request.target == "/_matrix/federation/v2/invite/%21room%3Aremote.test/%24invite")
            #expect(
                try RoomPeer.body(request) == [
                    "event": .object(invite), "room_version": "12", "invite_room_state": [.object(create)],
                ])
            #expect(try signed == RoomPeer.parsedPDU(7, type: "m.room.member"))
        }
    }

    @Test func makeLeaveAndSendLeave() async throws {
        let template = #"""
            {"room_version": "11", "event": {"type": "m.room.member", "room_id": "!room:remote.test",
             "sender": "@alice:origin.test", "state_key": "@alice:origin.test", "content": {"membership": "leave"}}}
            """#
        try await RoomPeer.run(answering: template) { client, peer, server in
            let answer = try await client.makeLeave(peer, roomID: room, userID: alice)
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "GET")
            #expect(request.target == "/_matrix/federation/v1/make_leave/%21room%3Aremote.test/%40alice%3Aorigin.test")
            #expect(request.body.isEmpty)
            #expect(answer.roomVersion == "11")
            #expect(answer.event["content"]?["membership"] == "leave")
        }
        try await RoomPeer.run(answering: "{}") { client, peer, server in
            let leave = try RoomPeer.parsedPDU(8, type: "m.room.member")
            try await client.sendLeave(peer, roomID: room, eventID: "$leave", event: leave)
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "PUT")
            #expect(request.target == "/_matrix/federation/v2/send_leave/%21room%3Aremote.test/%24leave")
            #expect(try RoomPeer.body(request) == leave)
        }
    }

    @Test func missingEventsPostsTheWalkAndReturnsTheEvents() async throws {
        try await RoomPeer.run(answering: #"{"events": \#(RoomPeer.pdus(0..<2))}"#) { client, peer, server in
            let events = try await client.missingEvents(
                peer, roomID: room, earliestEvents: ["$have"], latestEvents: ["$new1", "$new2"], limit: 10,
                minDepth: 4)
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "POST")
            #expect(request.target == "/_matrix/federation/v1/get_missing_events/%21room%3Aremote.test")
            #expect(
                try RoomPeer.body(request) == [
                    "earliest_events": ["$have"], "latest_events": ["$new1", "$new2"], "limit": 10, "min_depth": 4,
                ])
            #expect(try events == RoomPeer.parsedPDUs(0..<2))
        }
    }

    @Test func aLimitOverAHundredIsAskedAsAHundred() async throws {
        try await RoomPeer.run(answering: #"{"events": [], "pdus": []}"#) { client, peer, server in
            _ = try await client.missingEvents(
                peer, roomID: room, earliestEvents: [], latestEvents: ["$e"], limit: 5000)
            _ = try await client.backfill(peer, roomID: room, from: ["$e"], limit: 5000)
            _ = try await client.backfill(peer, roomID: room, from: ["$e"], limit: -3)
            let requests = server.requests
            try #require(requests.count == 3)
            #expect(try RoomPeer.body(requests[0])["limit"] == 100)
            #expect(requests[1].query == "v=%24e&limit=100")
            #expect(requests[2].query == "v=%24e&limit=1")
        }
    }

    @Test func backfillAsksFromEveryEventWithTheLimit() async throws {
        try await RoomPeer.run(answering: #"{"origin": "remote.test", "pdus": \#(RoomPeer.pdus(0..<3))}"#) {
            client, peer, server in
            let events = try await client.backfill(peer, roomID: room, from: ["$a:b", "$c"], limit: 50)
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "GET")
            #expect(
                request.target == "/_matrix/federation/v1/backfill/%21room%3Aremote.test?v=%24a%3Ab&v=%24c&limit=50")
            #expect(try events == RoomPeer.parsedPDUs(0..<3))
        }
    }

    @Test func eventReturnsTheOnePDU() async throws {
        let answer = #"{"origin": "remote.test", "origin_server_ts": 1, "pdus": [\#(RoomPeer.pdu(5))]}"#
        try await RoomPeer.run(answering: answer) { client, peer, server in
            let event = try await client.event(peer, eventID: "$ev/ent+1")
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "GET")
            #expect(request.target == "/_matrix/federation/v1/event/%24ev%2Fent%2B1")
            #expect(try event == RoomPeer.parsedPDU(5))
        }
    }

    @Test func eventAuthReturnsTheChain() async throws {
        try await RoomPeer.run(answering: #"{"auth_chain": \#(RoomPeer.pdus(0..<4))}"#) { client, peer, server in
            let chain = try await client.eventAuth(peer, roomID: room, eventID: "$ev")
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "GET")
            #expect(request.target == "/_matrix/federation/v1/event_auth/%21room%3Aremote.test/%24ev")
            #expect(try chain == RoomPeer.parsedPDUs(0..<4))
        }
    }

    @Test func stateAndStateIDsAtAnEvent() async throws {
        try await RoomPeer.run(
            answering: #"{"pdus": \#(RoomPeer.pdus(0..<2)), "auth_chain": \#(RoomPeer.pdus(2..<3))}"#
        ) {
            client, peer, server in
            let state = try await client.state(peer, roomID: room, at: "$at:remote.test")
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "GET")
            #expect(request.target == "/_matrix/federation/v1/state/%21room%3Aremote.test?event_id=%24at%3Aremote.test")
            #expect(try state.pdus == RoomPeer.parsedPDUs(0..<2))
            #expect(try state.authChain == RoomPeer.parsedPDUs(2..<3))
        }
        try await RoomPeer.run(answering: #"{"pdu_ids": ["$a", "$b:remote.test"], "auth_chain_ids": ["$c"]}"#) {
            client, peer, server in
            let ids = try await client.stateIDs(peer, roomID: room, at: "$at")
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "GET")
            #expect(request.target == "/_matrix/federation/v1/state_ids/%21room%3Aremote.test?event_id=%24at")
            #expect(ids == RoomStateIDsAnswer(pduIDs: ["$a", "$b:remote.test"], authChainIDs: ["$c"]))
        }
    }

    @Test func roomAliasQueriesTheDirectory() async throws {
        let answer = #"{"room_id": "!room:remote.test", "servers": ["remote.test", "bad name", "b.test:8448"]}"#
        try await RoomPeer.run(answering: answer) { client, peer, server in
            let found = try await client.roomAlias(peer, alias: "#lobby/1:remote.test")
            let request = try RoomPeer.onlyRequest(server)
            #expect(request.method == "GET")
            #expect(request.target == "/_matrix/federation/v1/query/directory?room_alias=%23lobby%2F1%3Aremote.test")
            // A name no request could go to is left out; the rest keep their order.
            #expect(found == RoomAliasAnswer(roomID: "!room:remote.test", servers: ["remote.test", "b.test:8448"]))
        }
    }

    @Test func aVersion12RoomIDWithoutServerIsEncodedToo() async throws {
        try await RoomPeer.run(answering: #"{"auth_chain": []}"#) { client, peer, server in
            _ = try await client.eventAuth(peer, roomID: "!Ab-c_D+e/f", eventID: "$x")
            #expect(try RoomPeer.onlyRequest(server).path == "/_matrix/federation/v1/event_auth/%21Ab-c_D%2Be%2Ff/%24x")
        }
    }
}
