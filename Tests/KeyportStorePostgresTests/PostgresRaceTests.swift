import KeyportPostgresTestSupport
import KeyportStore
import KeyportStoreConformance
import MatrixModel
import Testing

@testable import KeyportStorePostgres

/// The races of several writers on one database (issue 10): a stream position must never be seen
/// before every lower one is committed, and a one-time key must never be handed out twice.
@Suite("PostgresStore races", .enabled(if: TestPostgres.isConfigured, Comment(rawValue: TestPostgres.skipMessage)))
struct PostgresRaceTests {
    /// A stream and the two ways of writing to it the test overlaps: `hold` writes inside the
    /// caller's transaction (the engine's own code for that stream), `write` is a whole store call.
    struct Stream: Sendable, CustomTestStringConvertible {
        let name: String
        let position: @Sendable (PostgresStore) async throws -> Int64
        let hold: @Sendable (PostgresTransaction) async throws -> Void
        let write: @Sendable (PostgresStore) async throws -> Void
        /// Whether anything past `position` is readable.
        let visibleAfter: @Sendable (PostgresStore, Int64) async throws -> Bool

        var testDescription: String { name }
    }

    static let room = "!gap:example.com"
    /// The room B writes to: another room than A's, so that B does not wait for A's room lock and
    /// only the room-events counter row can hold it back.
    static let otherRoom = "!gap-other:example.com"

    static func member(_ id: String, _ userID: String, room roomID: String = room) -> RoomEvent {
        RoomEvent(
            eventID: id, roomID: roomID, type: "m.room.member", stateKey: userID, sender: userID,
            content: ["membership": "join"], originServerTS: 1)
    }

    /// A's write to the room-events stream, through the engine's own update path: the room's first
    /// event, a member event that is also its current state.
    static func heldUpdate() -> RoomUpdate {
        let key = RoomStateKey("m.room.member", alice)
        return RoomUpdate(
            roomID: room,
            events: [
                RoomEventWrite(member("$held", alice), stateAfter: .changed(from: .empty, changes: [key: "$held"]))
            ],
            expectedExtremities: [], extremities: ["$held"], currentState: [key: "$held"])
    }

    /// The room whose events A and B queue for another server, stored before either starts.
    static let queuedRoom = "!gap-queued:example.com"

    static func message(_ deviceID: String) -> ToDeviceBatch {
        ToDeviceBatch(
            sender: alice, type: "m.test", local: [.init(userID: bob, deviceID: deviceID, content: [:])],
            remote: [:], transaction: nil)
    }

    static let streams: [Stream] = [
        Stream(
            name: "device lists",
            position: { try await $0.currentDeviceListPosition() },
            hold: { db in
                db.appendChange(userID: alice, kind: .device, deviceID: "HELD")
                try await db.flushChanges()
            },
            write: { try await $0.setMembership(roomID: room, userID: bob, membership: "join") },
            visibleAfter: { store, position in
                !(try await store.deviceListChanges(from: position, to: .max).isEmpty)
            }),
        Stream(
            name: "to-device inbox",
            position: { try await $0.currentToDevicePosition() },
            hold: { db in _ = try await PostgresStore.sendToDevice(db, message("B1"), now: 1) },
            write: { _ = try await $0.sendToDevice(message("B2"), now: 2) },
            visibleAfter: { store, position in
                let first = try await store.toDeviceMessages(
                    userID: bob, deviceID: "B1", after: position, upTo: .max, limit: 10)
                let second = try await store.toDeviceMessages(
                    userID: bob, deviceID: "B2", after: position, upTo: .max, limit: 10)
                return !(first + second).isEmpty
            }),
        Stream(
            name: "room events",
            position: { try await $0.currentRoomPosition() },
            hold: { db in _ = try await PostgresStore.applyRoomUpdate(db, heldUpdate()) },
            write: { _ = try await $0.appendEvents([member("$second", bob, room: otherRoom)]) },
            visibleAfter: { store, position in
                let held = try await store.roomEvents(roomID: room, after: position, upTo: .max, limit: 10)
                let second = try await store.roomEvents(roomID: otherRoom, after: position, upTo: .max, limit: 10)
                return !(held + second).isEmpty
            }),
        Stream(
            name: "account data",
            position: { try await $0.currentAccountDataPosition() },
            hold: { db in
                _ = try await PostgresStore.setAccountData(db, userID: alice, roomID: nil, type: "m.held", content: [:])
            },
            write: { try await $0.setAccountData(userID: alice, roomID: nil, type: "m.second", content: [:]) },
            visibleAfter: { store, position in
                !(try await store.accountDataChanges(userID: alice, after: position, upTo: .max).isEmpty)
            }),
        // A sender reads the oldest queued entries and deletes them once sent: an entry it saw
        // before an older one committed would go out of order.
        Stream(
            name: "outbound PDU queue",
            position: { store in try await store.read { try await $0.currentPosition(.federationPDUOutbox) } },
            hold: { db in
                try await PostgresStore.insertPDUs(db, eventIDs: ["$queued-a"], destinations: ["d.example"], now: 1)
            },
            write: { try await $0.enqueuePDUs(eventIDs: ["$queued-b"], destinations: ["d.example"], now: 2) },
            visibleAfter: { store, position in
                try await store.queuedPDUs(destination: "d.example", limit: 10).contains { $0.id > position }
            }),
    ]

    /// Transaction A takes position N and stays open; transaction B, a whole store call, would take
    /// N+1. While A is open a reader must see neither N nor N+1: B waits for A's counter row. With
    /// positions from `MAX(id)` of an auto-increment column, B commits at once and a reader sees N+1
    /// while N is still open, which this test catches.
    @Test(arguments: streams)
    func noPositionVisibleBeforeTheOnesBelowIt(stream: Stream) async throws {
        try await TestPostgres.withStores { stores in
            let store = try await stores.open(maximumConnections: 6)
            try await createAccounts(store, alice, bob)
            try await login(store, bob, "B1")
            try await login(store, bob, "B2")
            for roomID in [Self.room, Self.otherRoom, Self.queuedRoom] {
                try await store.createRoom(roomID: roomID, version: "12", creator: alice, now: 1)
            }
            try await store.appendEvents(
                ["$queued-a", "$queued-b"].map { id in
                    RoomEvent(
                        eventID: id, roomID: Self.queuedRoom, type: "m.room.message", stateKey: nil, sender: alice,
                        content: [:], originServerTS: 1)
                })
            let start = try await stream.position(store)

            let (opened, signalOpened) = AsyncStream<Void>.makeStream()
            let (release, signalRelease) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await store.write { db in
                    try await stream.hold(db)
                    signalOpened.yield()
                    for await _ in release { break }
                }
            }
            for await _ in opened { break }

            let second = Task { try await stream.write(store) }
            // Give B every chance to commit ahead of A.
            try await Task.sleep(for: .milliseconds(700))
            #expect(try await stream.position(store) == start, "a position past an open one is visible")
            #expect(try await !stream.visibleAfter(store, start), "rows past an open position are visible")

            signalRelease.yield()
            try await holder.value
            try await second.value
            #expect(try await stream.position(store) == start + 2)
            #expect(try await stream.visibleAfter(store, start + 1))
        }
    }

    /// Many claims at once from several stores on one database, each with its own pool as separate
    /// processes would have, at every isolation level: no one-time key is handed out twice, each
    /// is handed out, and the rest get the fallback key.
    @Test(arguments: PostgresStore.Settings.WriteIsolation.allCases)
    func concurrentClaimsAcrossPools(isolation: PostgresStore.Settings.WriteIsolation) async throws {
        try await TestPostgres.withStores { stores in
            var pools: [PostgresStore] = []
            for _ in 0..<4 { pools.append(try await stores.open(maximumConnections: 5, isolation: isolation)) }
            try await createAccounts(pools[0], alice)
            try await login(pools[0], alice, "D")
            let keys = 120
            _ = try await pools[0].uploadKeys(
                upload(alice, "D", otks: (0..<keys).map { otk("K\($0)") }, fallbacks: [otk("F")]))
            let claims = 200
            let claimed = try await withThrowingTaskGroup(of: [ClaimedKey].self) { group in
                for index in 0..<claims {
                    let store = pools[index % pools.count]
                    group.addTask { try await store.claimKeys([claimTarget(alice, "D")], now: Int64(index)) }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            let oneTime = claimed.filter { !$0.isFallback }.map(\.key.keyID)
            #expect(claimed.count == claims)
            #expect(oneTime.count == Set(oneTime).count, "a one-time key was handed out twice")
            #expect(Set(oneTime) == Set((0..<keys).map { "signed_curve25519:K\($0)" }))
            #expect(claimed.filter(\.isFallback).count == claims - keys)
            #expect(try await pools[1].oneTimeKeyCounts(userID: alice, deviceID: "D") == [:])
        }
    }

    /// Uploads of one user's key backup at once from several stores, at every isolation level:
    /// the best key of a session every upload carries is the one kept, and each session is
    /// counted once.
    @Test(arguments: PostgresStore.Settings.WriteIsolation.allCases)
    func concurrentBackupUploadsAcrossPools(isolation: PostgresStore.Settings.WriteIsolation) async throws {
        try await TestPostgres.withStores { stores in
            var pools: [PostgresStore] = []
            for _ in 0..<4 { pools.append(try await stores.open(maximumConnections: 5, isolation: isolation)) }
            let version = try await pools[0].createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            func key(_ index: Int64) -> KeyBackupData {
                KeyBackupData(
                    firstMessageIndex: index, forwardedCount: 0, isVerified: false,
                    sessionData: ["ciphertext": .string("c\(index)")])
            }
            let uploads = Array(Int64(1)...40).shuffled()
            try await withThrowingTaskGroup(of: KeyBackupUploadOutcome.self) { group in
                for (position, index) in uploads.enumerated() {
                    let store = pools[position % pools.count]
                    group.addTask {
                        try await store.storeBackupKeys(
                            userID: alice, version: version,
                            sessions: [
                                KeyBackupSession(roomID: "!r", sessionID: "shared", data: key(index)),
                                KeyBackupSession(roomID: "!r", sessionID: "own-\(index)", data: key(index)),
                            ], maxSessions: 1_000)
                    }
                }
                for try await outcome in group {
                    guard case .stored = outcome else { throw StoreError.conflict("upload refused: \(outcome)") }
                }
            }
            let shared = try await pools[1].backupKeys(
                userID: alice, version: version, scope: .session(roomID: "!r", sessionID: "shared"))
            #expect(shared?.first?.data == key(1), "a better key was lost to a concurrent upload")
            let info = try #require(try await pools[2].backupVersion(userID: alice, version: version))
            #expect(info.count == 41)
            #expect(info.etag == 40)
            #expect(try await pools[3].backupKeys(userID: alice, version: version, scope: .all)?.count == 41)
        }
    }

    /// Upload A replaces a session's key with a better one and stays open; upload B, carrying a
    /// key better than the committed one but worse than A's, runs meanwhile. B must wait and then
    /// see A's key. Were B to read the committed key before A commits, it would decide to replace
    /// it, wait only for the row, and overwrite A's better key: this test catches that.
    @Test func anOpenUploadHoldsBackTheNextOne() async throws {
        try await TestPostgres.withStores { stores in
            let store = try await stores.open(maximumConnections: 4)
            let version = try await store.createBackupVersion(userID: alice, algorithm: "m.a", authData: [:])
            @Sendable func upload(_ index: Int64) -> [KeyBackupSession] {
                let data = KeyBackupData(
                    firstMessageIndex: index, forwardedCount: 0, isVerified: false, sessionData: ["i": .int(index)])
                return [KeyBackupSession(roomID: "!r", sessionID: "s", data: data)]
            }
            _ = try await store.storeBackupKeys(userID: alice, version: version, sessions: upload(5), maxSessions: 10)

            let (opened, signalOpened) = AsyncStream<Void>.makeStream()
            let (release, signalRelease) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await store.write { db in
                    _ = try await PostgresStore.storeBackupKeys(
                        db, userID: alice, version: version, sessions: upload(1), maxSessions: 10)
                    signalOpened.yield()
                    for await _ in release { break }
                }
            }
            for await _ in opened { break }
            let second = Task {
                try await store.storeBackupKeys(userID: alice, version: version, sessions: upload(3), maxSessions: 10)
            }
            // Give B every chance to read the committed key and reach its write.
            try await Task.sleep(for: .milliseconds(500))
            signalRelease.yield()
            try await holder.value
            #expect(try await second.value == .stored(KeyBackupCounts(etag: 2, count: 1)), "B changed nothing")
            let stored = try await store.backupKeys(
                userID: alice, version: version, scope: .session(roomID: "!r", sessionID: "s"))
            #expect(stored?.first?.data.firstMessageIndex == 1, "a better key was lost to a concurrent upload")
        }
    }
}
