import KeyportTestSupport
import MatrixModel
import Testing

@testable import KeyportFederation

/// Each room endpoint reads an answer up to its own limit and not a byte more: large for the
/// room's whole state, small for a template or `{}`.
@Suite struct RoomFederationLimitTests {
    /// Every endpoint with the limit it must read up to.
    static let endpoints: [(name: String, limit: Int)] = [
        ("make_join", 256 << 10), ("make_leave", 256 << 10), ("send_join", 50 << 20), ("invite", 1 << 20),
        ("send_leave", 64 << 10), ("get_missing_events", 8 << 20), ("backfill", 8 << 20), ("event", 1 << 20),
        ("event_auth", 50 << 20), ("state", 50 << 20), ("state_ids", 16 << 20), ("query/directory", 1 << 20),
    ]

    /// Calls the endpoint `name` on `peer`.
    static func call(_ name: String, _ client: RoomFederationClient, _ peer: String) async throws(FederationError) {
        let room = RoomPeer.room
        switch name {
        case "make_join":
            _ = try await client.makeJoin(peer, roomID: room, userID: RoomPeer.alice, roomVersions: ["12"])
        case "make_leave": _ = try await client.makeLeave(peer, roomID: room, userID: RoomPeer.alice)
        case "send_join": _ = try await client.sendJoin(peer, roomID: room, eventID: "$j", event: [:])
        case "invite":
            _ = try await client.invite(
                peer, roomID: room, eventID: "$i", event: [:], roomVersion: "12", inviteRoomState: [])
        case "send_leave": try await client.sendLeave(peer, roomID: room, eventID: "$l", event: [:])
        case "get_missing_events":
            _ = try await client.missingEvents(peer, roomID: room, earliestEvents: [], latestEvents: ["$l"], limit: 100)
        case "backfill": _ = try await client.backfill(peer, roomID: room, from: ["$l"], limit: 100)
        case "event": _ = try await client.event(peer, eventID: "$e")
        case "event_auth": _ = try await client.eventAuth(peer, roomID: room, eventID: "$e")
        case "state": _ = try await client.state(peer, roomID: room, at: "$e")
        case "state_ids": _ = try await client.stateIDs(peer, roomID: room, at: "$e")
        case "query/directory": _ = try await client.roomAlias(peer, alias: "#a:remote.test")
        default: Issue.record("no endpoint \(name)")
        }
    }

    /// An answer announcing one byte over the limit is refused before it is read; one announcing
    /// exactly the limit is read (and fails only because the peer then sends less).
    @Test(arguments: endpoints.indices)
    func eachEndpointReadsUpToItsLimit(_ index: Int) async throws {
        let (name, limit) = Self.endpoints[index]
        for announced in [limit + 1, limit] {
            let headers = [(name: "Content-Length", value: "\(announced)")]
            let answer: @Sendable (RecordedHTTPRequest) -> StaticHTTPServer.Response = { _ in
                .init(headers: headers, body: "{}")
            }
            try await RoomPeer.run(answer: answer) { client, peer, _ in
                let error = await RoomPeer.failure { () async throws(FederationError) in
                    try await Self.call(name, client, peer)
                }
                if case .tooLarge = error {
                    #expect(announced > limit, "\(name) refused an answer of \(announced) bytes, its limit is \(limit)")
                } else {
                    #expect(announced <= limit, "\(name) read past \(limit) bytes: \(String(describing: error))")
                }
            }
        }
    }

    @Test func aLargeStateIsReadWhereATemplateOfThatSizeIsNot() async throws {
        let padding = String(repeating: "x", count: 4000)
        let pdus = (0..<300).map { #"{"type": "m.room.member", "content": {"pad": "\#(padding)\#($0)"}}"# }
        let answer = #"{"state": [\#(pdus.joined(separator: ","))], "auth_chain": []}"#
        #expect(answer.utf8.count > 1 << 20)
        try await RoomPeer.run(answering: answer) { client, peer, _ in
            let joined = try await client.sendJoin(peer, roomID: RoomPeer.room, eventID: "$j", event: [:])
            #expect(joined.state.count == 300)
            let error = await RoomPeer.failure { () async throws(FederationError) in
                try await client.makeJoin(peer, roomID: RoomPeer.room, userID: RoomPeer.alice, roomVersions: ["12"])
            }
            guard case .tooLarge = error else {
                Issue.record("a template of 1 MiB was read: \(String(describing: error))")
                return
            }
        }
    }

    @Test func theLimitsFitWhatTheyCarry() {
        // 100 PDUs of the largest size a PDU may have (65,536 bytes) fit a batch.
        #expect(FederationResponseLimit.eventBatch >= RoomFederationClient.maxEventsPerRequest * 65_536)
        // The largest answer fits the budget of bytes in flight, or it could never be read.
        for limit in [
            FederationResponseLimit.sendJoin, FederationResponseLimit.roomState, FederationResponseLimit.eventAuth,
        ] {
            #expect(limit < FederationResponseLimit.bytesInFlight)
        }
    }
}
