import Foundation
import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import Logging
import MatrixModel
import MatrixRooms
import MatrixSigning
import Testing

@testable import KeyportFederation

/// PDUs from another server through the six checks, against a room of this server: a fake peer
/// signs the events, serves its keys and answers the fetches for missing events.
@Suite struct InboundPDUTests {
    static let local = ServerIdentity(
        serverName: ServerName("test.local")!, signingKey: try! SigningKey(version: "l", seed: Array(1...32)))

    /// A room of `@alice:test.local` that the peer's `@bob` can join, and the means to send it PDUs.
    struct Room {
        let store: SQLiteStore
        let services: Services
        let service: InboundPDUService
        let roomID: String
        let peer: ServerIdentity
        let alice = "@alice:test.local"
        var bob: String { "@bob:\(peer.serverName.rawValue)" }

        /// A PDU of the peer's, on `prevEvents` (default: the room's extremities) with auth events
        /// chosen from `state` (default: the current state).
        func remote(
            _ type: String, stateKey: String? = nil, sender: String? = nil, content: JSONObject,
            prevEvents: [String]? = nil, state: StateMap? = nil, key: SigningKey? = nil, after: PDU? = nil
        ) async throws -> PDU {
            let prevs: [String]
            if let prevEvents {
                prevs = prevEvents
            } else {
                prevs = Array(try await store.forwardExtremities(roomID: roomID))
            }
            // `after`: the prev event when the store does not have it yet.
            var depth = after?.depth ?? 0
            if after == nil { depth = try await store.events(Set(prevs)).values.map(\.depth).max() ?? 0 }
            let chosen: StateMap
            if let state {
                chosen = state
            } else {
                chosen = try await RoomGraphWriter(store: store).currentStateMap(roomID)
            }
            return try PDUBuilder.build(
                EventDraft(
                    type: type, stateKey: stateKey, sender: sender ?? bob, content: content, roomID: roomID,
                    originServerTS: Int64(Date().timeIntervalSince1970 * 1000), prevEvents: prevs, depth: depth + 1),
                version: .v12, state: chosen, serverName: peer.serverName.rawValue, key: key ?? peer.signingKey)
        }

        func receive(_ pdu: PDU) async -> String? {
            await service.receive(pdu.object, origin: peer.serverName.rawValue).error
        }

        func stored(_ id: String) async throws -> RoomEvent? { try await store.events([id])[id] }

        func timeline() async throws -> [String] {
            try await store.roomEvents(roomID: roomID, after: 0, upTo: .max, limit: 1_000).map(\.eventID)
        }
    }

    /// Runs `body` with a fresh room and a peer whose fetch endpoints `handler` answers.
    static func withRoom(
        _ handler: @escaping FakePeer.Handler = { _ in (404, ["errcode": "M_NOT_FOUND"]) },
        _ body: @Sendable (Room) async throws -> Void
    ) async throws {
        try await FakePeer.run(handler) { peerName in
            let peer = ServerIdentity(
                serverName: ServerName(peerName)!, signingKey: try SigningKey(version: "p", seed: Array(33...64)))
            let path = NSTemporaryDirectory() + "keyport-inbound-" + UUID().uuidString + "/keyport.db"
            let store = try SQLiteStore(path: path)
            let services = Services(
                storage: store, identity: Self.local, policy: RegistrationPolicy(enabled: true, sharedSecret: nil),
                hasher: PasswordHasher(rounds: 10))
            try await store.createAccount(AccountRecord(userID: "@alice:test.local", passwordHash: nil, createdAt: 0))
            let created = try await services.rooms.createRoom(
                session: SessionRecord(userID: "@alice:test.local", deviceID: "A"), body: ["preset": "public_chat"])
            let roomID = try #require(created["room_id"]?.stringValue)
            let keys = ServerKeyRing(store: store, clock: .system, logger: Logger(label: "test")) { server in
                guard server == peerName else { throw CancellationError() }
                return ServerKeyDocument.make(
                    identity: peer, oldKeys: [], validUntilTS: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
            }
            try await FakePeer.withClient(Self.local) { client in
                let service = InboundPDUService(
                    store: store, identity: Self.local, rooms: RoomFederationClient(client: client), keys: keys,
                    notifications: services.notifications, logger: Logger(label: "test"))
                try await body(
                    Room(store: store, services: services, service: service, roomID: roomID, peer: peer))
            }
        }
    }

    @Test func aRemoteJoinAndMessageAreAcceptedAndChangeTheRoom() async throws {
        try await Self.withRoom { room in
            let before = try await room.store.currentDeviceListPosition()
            let join = try await room.remote("m.room.member", stateKey: room.bob, content: ["membership": "join"])
            #expect(await room.receive(join) == nil)
            #expect(try await room.store.joinedMembers(roomID: room.roomID) == [room.alice, room.bob])
            let changes = try await room.store.deviceListChanges(from: before, to: .max)
            #expect(changes.contains { $0.userID == room.bob && $0.kind == .membership })

            let message = try await room.remote("m.room.message", content: ["body": "hi from afar"])
            #expect(await room.receive(message) == nil)
            #expect(try await room.timeline().suffix(2) == [join.eventID, message.eventID])
            #expect(try await room.store.forwardExtremities(roomID: room.roomID) == [message.eventID])
            let stored = try #require(try await room.stored(message.eventID))
            #expect(stored.pdu == message.object, "kept exactly as received")
            // The same PDU again changes nothing.
            let position = try await room.store.currentRoomPosition()
            #expect(await room.receive(message) == nil)
            #expect(try await room.store.currentRoomPosition() == position)
        }
    }

    @Test func aBadSignatureOrAnUnknownRoomIsDroppedAndAnAlteredEventIsKeptRedacted() async throws {
        try await Self.withRoom { room in
            let join = try await room.remote("m.room.member", stateKey: room.bob, content: ["membership": "join"])
            #expect(await room.receive(join) == nil)

            let forged = try await room.remote(
                "m.room.message", content: ["body": "forged"], key: try SigningKey(version: "p", seed: Array(65...96)))
            let error = await room.receive(forged)
            #expect(error?.contains("signature") == true, "\(error ?? "accepted")")
            #expect(try await room.stored(forged.eventID) == nil)

            var elsewhere = try await room.remote("m.room.message", content: ["body": "x"]).object
            elsewhere["room_id"] = "!unknown:elsewhere"
            #expect(await room.service.receive(elsewhere, origin: room.peer.serverName.rawValue).error != nil)

            // Content changed after signing: the hash no longer matches, the redacted form still
            // verifies, and that is what is kept.
            let signed = try await room.remote("m.room.message", content: ["body": "original"])
            var altered = signed.object
            altered["content"] = ["body": "altered"]
            let result = await room.service.receive(altered, origin: room.peer.serverName.rawValue)
            #expect(result.error == nil)
            #expect(result.eventID == signed.eventID, "the reference hash covers the redacted event")
            #expect(try await room.stored(signed.eventID)?.content == [:])
        }
    }

    @Test func anEventWhoseAuthEventsNoOneCanGiveIsDroppedNotRejected() async throws {
        try await Self.withRoom { room in
            let join = try await room.remote("m.room.member", stateKey: room.bob, content: ["membership": "join"])
            #expect(await room.receive(join) == nil)
            var state = try await RoomGraphWriter(store: room.store).currentStateMap(room.roomID)
            state[.member(room.bob)] = "$nowhere"
            let orphan = try await room.remote("m.room.message", content: ["body": "orphan"], state: state)
            let error = await room.receive(orphan)
            #expect(error?.contains("unknown") == true, "\(error ?? "accepted")")
            #expect(try await room.stored(orphan.eventID) == nil, "not stored, so it can be taken later")
        }
    }

    @Test func theAuthRulesRejectAndTheCurrentStateSoftFails() async throws {
        try await Self.withRoom { room in
            let join = try await room.remote("m.room.member", stateKey: room.bob, content: ["membership": "join"])
            #expect(await room.receive(join) == nil)
            let message = try await room.remote("m.room.message", content: ["body": "before the ban"])
            #expect(await room.receive(message) == nil)
            let stateAtMessage = try await RoomGraphWriter(store: room.store).currentStateMap(room.roomID)

            // Bob may not raise his own power level: rejected, stored, not in the timeline.
            var users: JSONObject = [:]
            users[room.bob] = 100
            let grab = try await room.remote("m.room.power_levels", stateKey: "", content: ["users": .object(users)])
            #expect(await room.receive(grab) == nil, "a rejected event counts as received")
            #expect(try await room.stored(grab.eventID)?.rejectedReason != nil)
            #expect(try await !room.timeline().contains(grab.eventID))
            #expect(
                try await room.store.stateEvent(roomID: room.roomID, type: "m.room.power_levels", stateKey: "")?.sender
                    == room.alice)

            // Alice bans Bob here; Bob, not knowing, sends on his message: allowed by the state before
            // it, refused by the current state.
            try await room.services.rooms.moderate(
                .ban, session: SessionRecord(userID: room.alice, deviceID: "A"), roomID: room.roomID,
                body: ["user_id": .string(room.bob)])
            let late = try await room.remote(
                "m.room.message", content: ["body": "after the ban"], prevEvents: [message.eventID],
                state: stateAtMessage)
            #expect(await room.receive(late) == nil)
            let stored = try #require(try await room.stored(late.eventID))
            #expect(stored.softFailed)
            #expect(try await !room.timeline().contains(late.eventID))
            #expect(try await !room.store.forwardExtremities(roomID: room.roomID).contains(late.eventID))
        }
    }

    @Test func missingPrevEventsAreFetchedWithGetMissingEvents() async throws {
        let served = ServedEvents()
        let handler: FakePeer.Handler = { request in
            if request.path.hasPrefix("/_matrix/federation/v1/get_missing_events/") {
                return (200, ["events": .array(await served.all.map { .object($0) })])
            }
            return (404, ["errcode": "M_NOT_FOUND"])
        }
        try await Self.withRoom(handler) { room in
            let join = try await room.remote("m.room.member", stateKey: room.bob, content: ["membership": "join"])
            #expect(await room.receive(join) == nil)
            let first = try await room.remote("m.room.message", content: ["body": "one"])
            let second = try await room.remote(
                "m.room.message", content: ["body": "two"], prevEvents: [first.eventID], after: first)
            let third = try await room.remote(
                "m.room.message", content: ["body": "three"], prevEvents: [second.eventID], after: second)
            await served.set([first.object, second.object])
            // Only the third arrives: the peer fills the gap.
            let thirdError = await room.receive(third)
            #expect(thirdError == nil, "\(thirdError ?? "")")
            #expect(try await room.timeline().suffix(3) == [first.eventID, second.eventID, third.eventID])
            #expect(try await room.store.forwardExtremities(roomID: room.roomID) == [third.eventID])
        }
    }

    @Test func aGapGetMissingEventsCannotCloseIsFilledFromTheState() async throws {
        let served = ServedEvents()
        let handler: FakePeer.Handler = { request in
            if request.path.hasPrefix("/_matrix/federation/v1/get_missing_events/") { return (200, ["events": []]) }
            if request.path.hasPrefix("/_matrix/federation/v1/state_ids/") {
                return (200, await served.stateIDs)
            }
            if request.path.hasPrefix("/_matrix/federation/v1/event/") {
                let id = String(request.path.split(separator: "/").last ?? "").removingPercentEncoding ?? ""
                if let event = await served.byID[id] {
                    return (200, ["origin": "x", "origin_server_ts": 1, "pdus": [.object(event)]])
                }
            }
            return (404, ["errcode": "M_NOT_FOUND"])
        }
        try await Self.withRoom(handler) { room in
            let join = try await room.remote("m.room.member", stateKey: room.bob, content: ["membership": "join"])
            #expect(await room.receive(join) == nil)
            let state = try await RoomGraphWriter(store: room.store).currentStateMap(room.roomID)
            // Bob renames himself (his own member event needs no power), in an event never sent here.
            let unseen = try await room.remote(
                "m.room.member", stateKey: room.bob, content: ["membership": "join", "displayname": "Bobby"])
            let next = try await room.remote(
                "m.room.message", content: ["body": "after"], prevEvents: [unseen.eventID], after: unseen)
            await served.set([unseen.object])
            await served.setStateIDs(["pdu_ids": .array(state.values.map { .string($0) }), "auth_chain_ids": []])
            #expect(await room.receive(next) == nil)
            let stored = try #require(try await room.stored(next.eventID))
            #expect(stored.isInTimeline)
            let unseenStored = try await room.stored(unseen.eventID)
            #expect(
                unseenStored?.outlier == true,
                "the unseen prev event is an outlier: \(String(describing: unseenStored))")
            let after = try #require(try await room.store.stateAfter(eventID: next.eventID))
            #expect(after[RoomStateKey("m.room.member", room.bob)] == unseen.eventID, "the gap's state is taken in")
        }
    }
}

/// What the fake peer serves, set by the test after it has built the events.
actor ServedEvents {
    var all: [JSONObject] = []
    var byID: [String: JSONObject] = [:]
    var stateIDs: JSONValue = ["pdu_ids": [], "auth_chain_ids": []]

    func set(_ events: [JSONObject]) {
        all = events
        for event in events {
            if let pdu = try? PDU(parsing: event, roomVersion: .v12) { byID[pdu.eventID] = event }
        }
    }

    func setStateIDs(_ value: JSONValue) { stateIDs = value }
}
