import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import MatrixRooms
import MatrixSigning
import Testing

/// Local rooms are made of real PDUs: hashed, signed by the server, with reference-hash IDs, auth
/// events chosen by the spec's selection and a DAG the store records.
@Suite struct LocalRoomEventTests {
    static func session(_ userID: String) -> SessionRecord { SessionRecord(userID: userID, deviceID: "DEV") }

    /// Every timeline event of the room, parsed and checked against its own auth events.
    static func checkEvents(in roomID: String, store: some KeyportStorage, version: RoomVersion) async throws -> [PDU] {
        let stored = try await store.roomEvents(roomID: roomID, after: 0, upTo: .max, limit: 1_000)
        var pdus: [PDU] = []
        for event in stored {
            // Parsing without an assigned ID computes the reference hash: it must be the stored ID.
            let pdu = try PDU(parsing: event.pdu, roomVersion: version)
            #expect(pdu.eventID == event.eventID)
            #expect(pdu.roomID == roomID)
            #expect(EventHashes.contentHashMatches(event.pdu), "\(event.eventID) has its content hash")
            let signature = PDUSigning.check(pdu, signedBy: "test.local") { server, keyID in
                server == "test.local" && keyID == Fixtures.identity.signingKey.keyID
                    ? Fixtures.identity.signingKey.publicKeyBase64 : nil
            }
            #expect(signature.isValid, "\(event.eventID) is signed by the server")
            var authIDs = Set(pdu.authEvents)
            if version.roomIDIsCreateEventHash, pdu.type != EventType.create {
                authIDs.insert("$" + roomID.dropFirst())
                #expect(!pdu.authEvents.contains("$" + roomID.dropFirst()), "v12 never lists the create event")
            }
            let authEvents = try await store.events(authIDs).mapValues { try $0.parsedPDU(version: version) }
            #expect(PDUChecks.againstAuthEvents(pdu, authEvents: authEvents).isAllowed, "\(pdu)")
            if let previous = pdus.last {
                #expect(pdu.prevEvents == [previous.eventID], "one chain")
                #expect(pdu.depth == previous.depth + 1)
            } else {
                #expect(pdu.prevEvents.isEmpty && pdu.type == EventType.create && pdu.depth == 1)
            }
            pdus.append(pdu)
        }
        return pdus
    }

    @Test(arguments: ["10", "11", "12"])
    func createdRoomsAndMessagesAreSignedPDUs(version: String) async throws {
        let store = try Fixtures.store()
        let services = Fixtures.services(store)
        let alice = try await Fixtures.user("alice", in: store)
        let bob = try await Fixtures.user("bob", in: store)
        let created = try await services.rooms.createRoom(
            session: Self.session(alice),
            body: ["room_version": .string(version), "preset": "private_chat", "name": "n", "invite": [.string(bob)]])
        let roomID = try #require(created["room_id"]?.stringValue)
        _ = try await services.rooms.join(session: Self.session(bob), roomIDOrAlias: roomID)
        _ = try await services.rooms.send(
            session: Self.session(bob), roomID: roomID, type: "m.room.message", transactionID: "t1",
            content: ["body": "hello"])
        let roomVersion = try #require(RoomVersion.named(version))
        #expect(try await store.roomVersion(roomID: roomID) == version)
        let pdus = try await Self.checkEvents(in: roomID, store: store, version: roomVersion)
        #expect(pdus.map(\.type).first == "m.room.create")
        #expect(pdus.last?.type == "m.room.message")
        #expect(try await store.forwardExtremities(roomID: roomID) == [pdus.last!.eventID])

        // The recorded state after the newest event is the room's current state.
        let current = try await store.currentState(roomID: roomID)
        let expected = Dictionary(
            uniqueKeysWithValues: current.map { (RoomStateKey($0.type, $0.stateKey!), $0.eventID) })
        #expect(try await store.stateAfter(eventID: pdus.last!.eventID) == expected)
        #expect(expected[RoomStateKey("m.room.member", bob)] != nil)
    }

    @Test func concurrentSendsMakeOneChain() async throws {
        let store = try Fixtures.store()
        let services = Fixtures.services(store)
        let alice = try await Fixtures.user("alice", in: store)
        let created = try await services.rooms.createRoom(session: Self.session(alice), body: [:])
        let roomID = try #require(created["room_id"]?.stringValue)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<20 {
                group.addTask {
                    _ = try await services.rooms.send(
                        session: Self.session(alice), roomID: roomID, type: "m.room.message", transactionID: "t\(n)",
                        content: ["body": .string("\(n)")])
                }
            }
            try await group.waitForAll()
        }
        let pdus = try await Self.checkEvents(in: roomID, store: store, version: .v12)
        #expect(pdus.filter { $0.type == "m.room.message" }.count == 20)
        #expect(try await store.forwardExtremities(roomID: roomID).count == 1)
    }

    @Test func theAuthRulesHaveTheLastWord() async throws {
        let store = try Fixtures.store()
        let services = Fixtures.services(store)
        let alice = try await Fixtures.user("alice", in: store)
        let bob = try await Fixtures.user("bob", in: store)
        // Bob may change power levels at 50, but no rule of the service stops him raising himself
        // above his own level: only the auth rules do.
        var users: JSONObject = [:]
        users[alice] = 100
        users[bob] = 50
        let created = try await services.rooms.createRoom(
            session: Self.session(alice),
            body: [
                "room_version": "10", "preset": "public_chat",
                "power_level_content_override": ["users": .object(users), "events": ["m.room.power_levels": 50]],
            ])
        let roomID = try #require(created["room_id"]?.stringValue)
        _ = try await services.rooms.join(session: Self.session(bob), roomIDOrAlias: roomID)
        let before = try await store.currentRoomPosition()
        var raised = users
        raised[bob] = 100
        await #expect {
            _ = try await services.rooms.setState(
                session: Self.session(bob), roomID: roomID, type: "m.room.power_levels", stateKey: "",
                content: ["users": .object(raised)])
        } throws: { error in
            (error as? MatrixError)?.errcode == "M_FORBIDDEN"
        }
        #expect(try await store.currentRoomPosition() == before, "nothing was stored")
    }
}
