import Foundation
import KeyportSQLite
import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import Logging
import MatrixModel
import MatrixRooms
import Testing

/// A database from before rooms were made of PDUs: its rooms are rebuilt as signed PDUs with
/// nothing lost.
@Suite struct LegacyRoomUpgradeTests {
    static let roomID = "!legacy:test.local"
    static let alice = "@alice:test.local"
    static let bob = "@bob:test.local"

    /// Writes a room the way the store did before v15: no version, events without PDUs.
    static func writeLegacyRoom(at path: String) async throws {
        let pool = try DatabasePool(path: path)
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO rooms (room_id, creator, created_at) VALUES (?, ?, 1)", arguments: [roomID, alice])
            let events: [(String, String, String?, String, String)] = [
                ("$c", "m.room.create", "", alice, #"{"creator":"@alice:test.local","room_version":"9"}"#),
                ("$j", "m.room.member", alice, alice, #"{"membership":"join","displayname":"alice"}"#),
                ("$p", "m.room.power_levels", "", alice, #"{"users":{"@alice:test.local":100}}"#),
                ("$r", "m.room.join_rules", "", alice, #"{"join_rule":"public"}"#),
                ("$b", "m.room.member", bob, bob, #"{"membership":"join"}"#),
                ("$m", "m.room.message", nil, bob, #"{"body":"from the old days"}"#),
                // Today's rules refuse this one: bob (level 0) may not change power levels.
                ("$x", "m.room.power_levels", "", bob, #"{"users":{"@bob:test.local":100}}"#),
            ]
            for (n, event) in events.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO room_events (event_id, room_id, type, state_key, sender, content_json,
                            origin_server_ts, txn_user_id, txn_device_id, txn_id)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        event.0, roomID, event.1, event.2, event.3, event.4, 1_000 + n, event.0 == "$m" ? bob : nil,
                        event.0 == "$m" ? "DEV" : nil, event.0 == "$m" ? "txn1" : nil,
                    ])
                let ordering = db.lastInsertedRowID
                if let stateKey = event.2 {
                    try db.execute(
                        sql: """
                            INSERT INTO room_state (room_id, type, state_key, event_ordering) VALUES (?, ?, ?, ?)
                            ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_ordering = excluded.event_ordering
                            """,
                        arguments: [roomID, event.1, stateKey, ordering])
                }
                if event.1 == "m.room.member", let user = event.2 {
                    try db.execute(
                        sql:
                            "INSERT INTO room_memberships (room_id, user_id, membership, ordering) VALUES (?, ?, 'join', ?)",
                        arguments: [roomID, user, ordering])
                }
            }
        }
    }

    @Test func legacyRoomsAreRebuiltAsSignedPDUsWithNothingLost() async throws {
        let path = NSTemporaryDirectory() + "keyport-legacy-" + UUID().uuidString + "/keyport.db"
        let store = try SQLiteStore(path: path)
        try await Self.writeLegacyRoom(at: path)
        #expect(try await store.legacyRooms() == [Self.roomID])
        let upgrade = LegacyRoomUpgrade(store: store, identity: Fixtures.identity, logger: Logger(label: "test"))
        let outcomes = try await upgrade.run()
        #expect(outcomes == [.init(roomID: Self.roomID, version: "10", events: 7, rejected: 1)])
        #expect(try await store.legacyRooms() == [])
        #expect(try await store.roomVersion(roomID: Self.roomID) == "10")

        let pdus = try await LocalRoomEventTests.checkEvents(in: Self.roomID, store: store, version: .v10)
        #expect(
            pdus.map(\.type) == [
                "m.room.create", "m.room.member", "m.room.power_levels", "m.room.join_rules", "m.room.member",
                "m.room.message",
            ])
        #expect(pdus[0].content["room_version"] == "10", "a version Keyport no longer supports becomes 10")
        #expect(pdus[5].content == ["body": "from the old days"])
        #expect(pdus.map(\.originServerTS) == [1_000, 1_001, 1_002, 1_003, 1_004, 1_005])
        let timeline = try await store.roomEvents(roomID: Self.roomID, after: 0, upTo: .max, limit: 100)
        #expect(
            timeline.last?.transaction == ClientTransaction(userID: Self.bob, deviceID: "DEV", transactionID: "txn1"))

        // The refused event is kept, as rejected; the state is what the rules allow.
        let all = try await store.authChain(of: [pdus[5].eventID])
        #expect(!all.isEmpty)
        let power = try await store.stateEvent(roomID: Self.roomID, type: "m.room.power_levels", stateKey: "")
        #expect(power?.eventID == pdus[2].eventID)
        #expect(try await store.joinedMembers(roomID: Self.roomID) == [Self.alice, Self.bob])
        #expect(try await store.events(Set(pdus.map(\.eventID))).count == 6)
        #expect(try await store.forwardExtremities(roomID: Self.roomID) == [pdus[5].eventID])

        // A second run finds nothing to do.
        #expect(try await upgrade.run() == [])

        // The room goes on: a new message is built on the rebuilt DAG.
        let services = Fixtures.services(store)
        _ = try await services.rooms.send(
            session: SessionRecord(userID: Self.alice, deviceID: "DEV"), roomID: Self.roomID, type: "m.room.message",
            transactionID: "new", content: ["body": "and now"])
        #expect(try await LocalRoomEventTests.checkEvents(in: Self.roomID, store: store, version: .v10).count == 7)
    }
}
