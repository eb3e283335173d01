import KeyportPostgresTestSupport
import KeyportStore
import KeyportStoreConformance
import MatrixModel
import Testing

@testable import KeyportStorePostgres

/// Updates of one room from several processes: the compare-and-set on the forward extremities
/// must hold across pools, so that two updates computed from the same extremities never both
/// succeed.
@Suite(
    "PostgresStore room graph races",
    .enabled(if: TestPostgres.isConfigured, Comment(rawValue: TestPostgres.skipMessage)))
struct PostgresRoomGraphRaceTests {
    static let room = "!race:example.com"

    static func message(_ name: String, prev: [String] = []) -> RoomEvent {
        RoomEvent(
            eventID: "$\(name)", roomID: room, type: "m.room.message", stateKey: nil, sender: alice,
            content: ["body": .string(name)], originServerTS: 1, prevEvents: prev)
    }

    /// An update of the empty room making `name` its one extremity.
    static func firstUpdate(_ name: String) -> RoomUpdate {
        RoomUpdate(
            roomID: room, events: [RoomEventWrite(message(name), stateAfter: .changed(from: .empty, changes: [:]))],
            expectedExtremities: [], extremities: ["$\(name)"], currentState: [:])
    }

    /// Update A, computed from no extremities, stays open; update B, from another pool, computed
    /// from the same, runs meanwhile. B must wait for A and then find the extremities moved. Were B
    /// to read the extremities before A commits, it would pass the check and replace A's
    /// extremity with its own, losing the fork: this test catches that. The same holds for a room
    /// that was never created (no row to lock).
    @Test(arguments: PostgresStore.Settings.WriteIsolation.allCases, [true, false])
    func anOpenUpdateHoldsBackACompetingOne(
        isolation: PostgresStore.Settings.WriteIsolation, roomCreated: Bool
    ) async throws {
        try await TestPostgres.withStores { stores in
            let first = try await stores.open(isolation: isolation)
            let second = try await stores.open(isolation: isolation)
            if roomCreated { try await first.createRoom(roomID: Self.room, version: "12", creator: alice, now: 1) }

            let (opened, signalOpened) = AsyncStream<Void>.makeStream()
            let (release, signalRelease) = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await first.write { db in
                    _ = try await PostgresStore.applyRoomUpdate(db, Self.firstUpdate("a"))
                    signalOpened.yield()
                    for await _ in release { break }
                }
            }
            for await _ in opened { break }
            let competing = Task { try await second.applyRoomUpdate(Self.firstUpdate("b")) }
            // Give B every chance to read the extremities and reach its write.
            try await Task.sleep(for: .milliseconds(500))
            signalRelease.yield()
            try await holder.value
            await #expect {
                try await competing.value
            } throws: { error in
                guard case .conflict = error as? StoreError else { return false }
                return true
            }
            #expect(try await second.forwardExtremities(roomID: Self.room) == ["$a"])
            #expect(try await second.events(["$b"]).isEmpty, "a refused update writes nothing")
        }
    }

    /// Many appends to one room at once from two stores, each with its own pool as separate
    /// processes would have, at every isolation level: every append succeeds in the end, the
    /// timeline is one chain (each event's prev event is the one before it) and the room has one
    /// forward extremity.
    @Test(arguments: PostgresStore.Settings.WriteIsolation.allCases)
    func concurrentAppendsAcrossPoolsFormOneChain(isolation: PostgresStore.Settings.WriteIsolation) async throws {
        try await TestPostgres.withStores { stores in
            let pools = [
                try await stores.open(maximumConnections: 5, isolation: isolation),
                try await stores.open(maximumConnections: 5, isolation: isolation),
            ]
            try await pools[0].createRoom(roomID: Self.room, version: "12", creator: alice, now: 1)
            let appends = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<appends {
                    let store = pools[index % pools.count]
                    group.addTask { _ = try await store.appendEvents([Self.message("e\(index)")]) }
                }
                try await group.waitForAll()
            }
            let timeline = try await pools[1].roomEvents(roomID: Self.room, after: 0, upTo: .max, limit: 1_000)
            #expect(Set(timeline.map(\.eventID)) == Set((0..<appends).map { "$e\($0)" }), "every append is stored")
            #expect(timeline.first?.prevEvents == [])
            for (previous, event) in zip(timeline, timeline.dropFirst()) {
                #expect(event.prevEvents == [previous.eventID], "\(event.eventID) does not follow \(previous.eventID)")
            }
            let last = try #require(timeline.last)
            #expect(try await pools[0].forwardExtremities(roomID: Self.room) == [last.eventID])
        }
    }
}
