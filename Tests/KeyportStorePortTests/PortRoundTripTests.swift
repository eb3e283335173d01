import Foundation
import KeyportPostgresTestSupport
import KeyportStore
import KeyportStoreConformance
import KeyportStorePort
import KeyportStorePostgres
import KeyportStoreSQLite
import MatrixModel
import Testing

/// A SQLite deployment ported to a fresh PostgreSQL database answers every question the same
/// through the PostgreSQL store, and new writes there come after every copied position.
@Suite(
    "Port from SQLite to PostgreSQL",
    .enabled(if: TestPostgres.isConfigured, Comment(rawValue: TestPostgres.skipMessage))
)
struct PortRoundTripTests {
    @Test("every kind of data reads back the same from PostgreSQL as from SQLite, and new writes come after it")
    func roundTrip() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("keyport.db").path
            let sqlite = try SQLiteStore(path: path)
            try await PortFixture.fill(sqlite)
            let expected = try await StoreReadout.read(sqlite)
            try await TestPostgres.withStores { stores in
                let progress = ProgressLines()
                // Batches of two rows: every table is read in several batches, by primary key.
                let summary = try await port(
                    path, to: try TestPostgres.settings(database: stores.database), batchSize: 2, progress: progress)
                #expect(summary.tables.map(\.name) == PortPlan.ported.map(\.name))
                for (table, rows) in summary.tables {
                    #expect(rows > 0, "PortFixture leaves \(table) empty: give it rows, so that porting it is tested")
                }
                #expect(progress.lines.count > summary.tables.count, "a line per batch with interval zero")
                #expect(progress.lines.last?.hasPrefix("Copying rows: \(summary.totalRows) in ") == true)

                let postgres = try await stores.open()
                let actual = try await StoreReadout.read(postgres)
                #expect(actual.keys.sorted() == expected.keys.sorted())
                for question in expected.keys.sorted() {
                    #expect(actual[question] == expected[question], "\(question)")
                }
                try await sameAnswersToWrites(sqlite, postgres)
                try await positionsContinue(sqlitePath: path, sqlite: sqlite, postgres: postgres)
            }
        }
    }

    @Test("an empty Keyport database ports to an empty PostgreSQL one; one with only an empty schema is accepted")
    func emptyDatabase() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("keyport.db").path
            _ = try SQLiteStore(path: path)
            try await TestPostgres.withStores { stores in
                // A server started once on the PostgreSQL database made the schema and nothing else.
                try await stores.open().prepare()
                let summary = try await port(path, to: try TestPostgres.settings(database: stores.database))
                #expect(summary.totalRows == 0)
                let postgres = try await stores.open()
                try await createAccounts(postgres, alice)
                #expect(try await postgres.accountCount() == 1)
            }
        }
    }

    /// Writes whose answers depend on the copied rows (which one-time key is the oldest, whether a
    /// nonce was used) answer the same on both.
    private func sameAnswersToWrites(_ sqlite: SQLiteStore, _ postgres: PostgresStore) async throws {
        let targets = [
            claimTarget(alice, "A1"), claimTarget(alice, "A2"), claimTarget(bob, "B1"), claimTarget(carol, "C1"),
        ]
        for round in 0..<2 {
            let fromSQLite = try await sqlite.claimKeys(targets, now: 20_000)
            #expect(try await postgres.claimKeys(targets, now: 20_000) == fromSQLite, "claim round \(round)")
        }
        #expect(try await sqlite.consumeRegistrationNonce(PortFixture.nonce, notBefore: 0))
        #expect(try await postgres.consumeRegistrationNonce(PortFixture.nonce, notBefore: 0))
        #expect(try await postgres.consumeRegistrationNonce(PortFixture.nonce, notBefore: 0) == false)
        for store in [sqlite, postgres] as [any KeyportStorage] {
            try await store.completeAuthStage(id: PortFixture.authSession, stage: "m.login.terms")
        }
        #expect(
            try await postgres.authSessionStages(id: PortFixture.authSession, notBefore: 0)
                == sqlite.authSessionStages(id: PortFixture.authSession, notBefore: 0))

        // The graph goes on from the copied extremities and snapshots: merging the fork writes a
        // delta over a copied snapshot, in a snapshot of its own (a sequence left behind the copied
        // ones would collide).
        let key = RoomStateKey("x.state", "k0")
        let merge = PortFixture.graphEvent(
            "merge", type: "x.state", stateKey: "k0", prev: ["$g-fork-a", "$g-fork-b"],
            auth: ["$g-create", "$g-join", "$g-power"], depth: 200)
        let update = PortFixture.update(
            [RoomEventWrite(merge, stateAfter: PortFixture.after("$g-fork-a", [key: "$g-merge"]))],
            from: ["$g-fork-a", "$g-fork-b"], to: ["$g-merge"], current: [key: "$g-merge"])
        for store in [sqlite, postgres] as [any KeyportStorage] { _ = try await store.applyRoomUpdate(update) }
        let merged = try #require(try await postgres.stateAfter(eventID: "$g-merge"))
        #expect(merged == (try await sqlite.stateAfter(eventID: "$g-merge")))
        #expect(merged[key] == "$g-merge")
        #expect(try await postgres.forwardExtremities(roomID: PortFixture.graphRoom) == ["$g-merge"])
        #expect(
            try await postgres.authChain(of: ["$g-merge"]) == sqlite.authChain(of: ["$g-merge"]))
        #expect(
            try await postgres.currentState(roomID: PortFixture.graphRoom).map(\.eventID)
                == sqlite.currentState(roomID: PortFixture.graphRoom).map(\.eventID))
    }

    /// A client holding a position from the SQLite server sees what is written on PostgreSQL after
    /// the port, in every stream, even where SQLite's newest rows had been deleted.
    private func positionsContinue(sqlitePath: String, sqlite: SQLiteStore, postgres: PostgresStore) async throws {
        let marks = try await SQLiteExport(path: sqlitePath).autoincrementHighWaterMarks()

        let toDevice = try await sqlite.currentToDevicePosition()
        let inboxes = try await PortFixture.devices.asyncFlatMap { user, device in
            try await sqlite.toDeviceMessages(userID: user, deviceID: device, after: 0, upTo: .max, limit: 100)
        }
        #expect(inboxes.allSatisfy { $0.streamID < toDevice }, "the fixture deleted the newest messages")
        #expect(try await postgres.currentToDevicePosition() == toDevice)
        _ = try await postgres.sendToDevice(
            ToDeviceBatch(
                sender: bob, type: "m.test",
                local: [.init(userID: PortFixture.dave, deviceID: "D1", content: ["n": 6])],
                remote: [:], transaction: nil),
            now: 30_000)
        let news = try await postgres.toDeviceMessages(
            userID: PortFixture.dave, deviceID: "D1", after: toDevice,
            upTo: try await postgres.currentToDevicePosition(),
            limit: 10)
        #expect(news.map(\.type) == ["m.test"], "a sync from the old position gets the new message")

        let deviceList = try await sqlite.currentDeviceListPosition()
        #expect(try await postgres.currentDeviceListPosition() == deviceList)
        let change = try await postgres.setMembership(roomID: "!new:example.com", userID: alice, membership: "join")
        #expect(change > deviceList)
        #expect(try await postgres.deviceListChanges(from: deviceList, to: change).map(\.userID) == [alice])

        let room = try await sqlite.currentRoomPosition()
        let appended = try await postgres.appendEvents([
            RoomEvent(
                eventID: "$after-port", roomID: PortFixture.room, type: "m.room.message", stateKey: nil, sender: alice,
                content: ["body": "hi"], originServerTS: 1)
        ])
        #expect(appended.map(\.ordering).allSatisfy { $0 > room })

        let outbox = try #require(marks["federation_outbox"])
        let queued = try await PortFixture.destinations.asyncFlatMap { destination in
            try await sqlite.queuedEDUs(destination: destination, limit: 100)
        }
        #expect(queued.allSatisfy { $0.id < outbox }, "the fixture deleted the newest EDUs")
        try await postgres.enqueueEDUs([QueuedEDU(destination: "gone.example", type: "m.test", content: [:])], now: 1)
        #expect(
            try await postgres.queuedEDUs(destination: "gone.example", limit: 10).map(\.id).allSatisfy { $0 > outbox })

        let pduOutbox = try #require(marks["federation_pdu_outbox"])
        let queuedPDUs = try await PortFixture.destinations.asyncFlatMap { destination in
            try await sqlite.queuedPDUs(destination: destination, limit: 100)
        }
        #expect(!queuedPDUs.isEmpty && queuedPDUs.allSatisfy { $0.id < pduOutbox }, "the fixture sent the newest")
        try await postgres.enqueuePDUs(eventIDs: ["$g-fork-a"], destinations: ["gone.example"], now: 1)
        let afterPort = try await postgres.queuedPDUs(destination: "gone.example", limit: 10)
        #expect(afterPort.last?.eventID == "$g-fork-a", "queued after the copied entries")
        #expect(afterPort.last.map { $0.id > pduOutbox } == true)

        // One-time keys are claimed in upload order, kept by a sequence: a key uploaded now comes
        // after the copied ones still unclaimed.
        _ = try await postgres.uploadKeys(upload(carol, "C1", otks: [otk("after-port")]))
        var claimed: [String] = []
        for _ in 0..<PortFixture.oneTimeKeysPerDevice - 1 {
            claimed += try await postgres.claimKeys([claimTarget(carol, "C1")], now: 40_000).map(\.key.keyID)
        }
        let unclaimed = (3...PortFixture.oneTimeKeysPerDevice).map { "signed_curve25519:C1-\($0)" }
        #expect(claimed == unclaimed + ["signed_curve25519:after-port"])
    }
}

extension Sequence {
    fileprivate func asyncFlatMap<T>(_ transform: (Element) async throws -> [T]) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result += try await transform(element) }
        return result
    }
}
