import Foundation
import Hummingbird
import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import MatrixRooms
import MatrixSigning
import Testing

/// Two federating servers for the room read endpoints: A hosts rooms made through its client API
/// by alice; B asks, signing its requests, and has a user bob whose events ``SignedEventWriter``
/// stores in A's rooms signed by B.
struct RoomReadFixture: Sendable {
    let serverA: FederatingServer
    let serverB: FederatingServer
    let a: MatrixClient
    let probe: FederationProbe
    let alice: TestUser
    /// Writes events signed by B into A's rooms.
    let writerB: SignedEventWriter
    /// Writes events signed by A (alice's server) into A's rooms, for graphs the client API does
    /// not make (forks).
    let writerA: SignedEventWriter

    var bob: String { "@bob:\(serverB.serverName)" }
    var store: SQLiteStore { writerB.store }

    /// Runs A and B and the body with a fixture.
    static func run(_ body: @Sendable (RoomReadFixture) async throws -> Void) async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await FederationProbe.with { probe in
            try await serverA.run { a in
                try await serverB.run { _ in
                    let alice = try await a.register("alice")
                    let fixture = RoomReadFixture(
                        serverA: serverA, serverB: serverB, a: a, probe: probe, alice: alice,
                        writerB: try SignedEventWriter(
                            databasePath: serverA.databasePath, serverName: serverB.serverName,
                            key: try serverB.signingKey()),
                        writerA: try SignedEventWriter(
                            databasePath: serverA.databasePath, serverName: serverA.serverName,
                            key: try serverA.signingKey()))
                    try await body(fixture)
                }
            }
        }
    }

    /// A public room of alice's, with `history_visibility` set when given.
    func publicRoom(historyVisibility: String? = nil, alias: String? = nil) async throws -> String {
        var body: JSONValue = ["preset": "public_chat", "room_version": "12"]
        if let alias { body["room_alias_name"] = .string(alias) }
        let roomID = try await a.createRoom(alice, body)
        if let historyVisibility {
            try await aliceSets(
                "m.room.history_visibility", ["history_visibility": .string(historyVisibility)], in: roomID)
        }
        return roomID
    }

    /// alice sets a piece of state; returns its event ID.
    @discardableResult
    func aliceSets(_ type: String, _ content: JSONObject, in roomID: String) async throws -> String {
        let reply = try await a.client(
            .put, "/rooms/\(queryEncoded(roomID))/state/\(type)", token: alice.token, body: .object(content))
        try #require(reply.status == 200, "\(type): \(reply.body)")
        return try #require(reply["event_id"]?.stringValue)
    }

    /// The room's current state as A's store has it.
    func currentStateIDs(_ roomID: String) async throws -> RoomStateIDs {
        var state: RoomStateIDs = [:]
        for event in try await store.currentState(roomID: roomID) {
            state[RoomStateKey(event.type, try #require(event.stateKey))] = event.eventID
        }
        return state
    }

    /// The recorded state after an event, as IDs.
    func stateAfter(_ eventID: String) async throws -> Set<String> {
        Set(try #require(try await store.stateAfter(eventID: eventID), "state after \(eventID)").values)
    }

    /// bob (of B) joins or leaves an A room through a PDU signed by B.
    @discardableResult
    func bobSets(_ membership: String, in roomID: String) async throws -> PDU {
        try await writerB.append(
            roomID: roomID, type: "m.room.member", stateKey: bob, sender: bob,
            content: ["membership": .string(membership)])
    }

    /// A request signed by B to A.
    func ask(method: String = "GET", _ path: String, body: JSONObject? = nil) async throws
        -> (status: Int, body: JSONValue)
    {
        try await probe.signed(
            to: serverA, from: serverB.serverName, key: try serverB.signingKey(), method: method,
            path: "/_matrix/federation/v1" + path, body: body)
    }

    /// The stored event, as A's store has it.
    func stored(_ eventID: String) async throws -> RoomEvent {
        try #require(try await store.events([eventID])[eventID], "\(eventID) is stored")
    }

    /// Checks that a served PDU is the stored one byte for byte (canonical JSON) and that its
    /// reference hash gives the event ID back.
    func expectServedAsStored(
        _ served: JSONValue?, _ eventID: String, sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws
    {
        let stored = try await stored(eventID)
        let object = try #require(served?.objectValue, "a PDU object", sourceLocation: sourceLocation)
        #expect(
            JSONWriter.bytes(.object(object)) == JSONWriter.bytes(.object(stored.pdu)),
            "\(eventID) is served as stored", sourceLocation: sourceLocation)
        #expect(
            try PDU(parsing: object, roomVersion: .v12).eventID == eventID, "the served PDU hashes to its ID",
            sourceLocation: sourceLocation)
    }

    /// Checks that a served PDU is the stored one redacted by the v11 rules, with its ID unchanged.
    /// (Redaction changes nothing of some events, such as a leave.)
    func expectServedRedacted(
        _ served: JSONValue?, _ eventID: String, sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws
    {
        let stored = try await stored(eventID)
        let object = try #require(served?.objectValue, "a PDU object", sourceLocation: sourceLocation)
        let redacted = Redaction.redact(stored.pdu, rules: .v11)
        #expect(
            JSONWriter.bytes(.object(object)) == JSONWriter.bytes(.object(redacted)), "\(eventID) is served redacted",
            sourceLocation: sourceLocation)
        #expect(
            try PDU(parsing: object, roomVersion: .v12).eventID == eventID, "the redacted PDU keeps its ID",
            sourceLocation: sourceLocation)
    }

    /// The event IDs of served PDUs, in order (each computed from its reference hash).
    func ids(_ pdus: JSONValue?) throws -> [String] {
        try (pdus?.arrayValue ?? []).map { try PDU(parsing: try #require($0.objectValue), roomVersion: .v12).eventID }
    }

    /// The auth chain of `ids` as the spec defines it, walked here from the stored events: their
    /// auth events and those events' auth events, recursively (the events of `ids` only when
    /// another names them), every event but the create event resting on the create event too
    /// (v12 implies it).
    func authChain(below ids: [String]) async throws -> Set<String> {
        var chain = Set<String>()
        var frontier = Set<String>()
        for id in ids { frontier.formUnion(try await authEvents(of: id)) }
        while !frontier.isEmpty {
            chain.formUnion(frontier)
            var next = Set<String>()
            for id in frontier { next.formUnion(try await authEvents(of: id)) }
            frontier = next.subtracting(chain)
        }
        return chain
    }

    /// An event's auth events with v12's implied create event.
    private func authEvents(of id: String) async throws -> [String] {
        let event = try await stored(id)
        if event.type == "m.room.create" { return event.authEvents }
        return event.authEvents + ["$" + event.roomID.dropFirst()]
    }
}
