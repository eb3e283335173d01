import KeyportPostgresTestSupport
import KeyportStore
import KeyportStoreConformance
import MatrixModel
import PostgresNIO
import Synchronization
import Testing

@testable import KeyportStorePostgres

/// What several processes on one database rely on besides positions and claims: a fan-out range
/// queued once, one application-service transaction per range, one holder per lease, and
/// wake-ups carried between processes by LISTEN/NOTIFY.
/// Each store has its own pool, as separate processes would.
@Suite(
    "PostgresStore across processes",
    .enabled(if: TestPostgres.isConfigured, Comment(rawValue: TestPostgres.skipMessage)))
struct PostgresScaleOutTests {
    @Test(arguments: PostgresStore.Settings.WriteIsolation.allCases)
    func concurrentFanOutsQueueARangeOnce(isolation: PostgresStore.Settings.WriteIsolation) async throws {
        try await TestPostgres.withStores { stores in
            var pools: [PostgresStore] = []
            for _ in 0..<4 { pools.append(try await stores.open(maximumConnections: 3, isolation: isolation)) }
            // Every "process" read position 0 and built the same EDUs for the range (0, 10].
            let edu = QueuedEDU(
                destination: "d.example", type: "m.device_list_update",
                content: ["user_id": .string(alice), "device_id": "D", "stream_id": 10])
            let won = try await withThrowingTaskGroup(of: Bool.self) { group in
                for pool in pools {
                    group.addTask { try await pool.enqueueDeviceListFanOut([edu], from: 0, upTo: 10, now: 1) }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(won == 1, "exactly one process claims the range")
            #expect(try await pools[0].queuedEDUs(destination: "d.example", limit: 10).count == 1)
            #expect(try await pools[1].deviceListFanOutPosition() == 10)
        }
    }

    /// Processes that built the same application-service transaction from the same positions
    /// store one of them, and one acknowledgement completes it: a service is never sent two
    /// transactions for one range.
    @Test(arguments: PostgresStore.Settings.WriteIsolation.allCases)
    func oneApplicationServiceTransactionPerRange(isolation: PostgresStore.Settings.WriteIsolation) async throws {
        try await TestPostgres.withStores { stores in
            var pools: [PostgresStore] = []
            for _ in 0..<4 { pools.append(try await stores.open(maximumConnections: 3, isolation: isolation)) }
            let start = AppServicePositions(roomEvents: 0, toDevice: 0, deviceLists: 0)
            let next = AppServicePositions(roomEvents: 5, toDevice: 0, deviceLists: 0)
            _ = try await pools[0].startAppService(serviceID: "bridge", at: start)
            let stored = try await withThrowingTaskGroup(of: AppServiceTransaction?.self) { group in
                for (index, pool) in pools.enumerated() {
                    group.addTask {
                        try await pool.storePendingAppServiceTransaction(
                            serviceID: "bridge", from: start, body: "{\"process\":\(index)}", positions: next,
                            deliveredToDevice: [])
                    }
                }
                return try await group.reduce(into: [AppServiceTransaction]()) { all, one in
                    if let one { all.append(one) }
                }
            }
            #expect(stored.count == 1, "exactly one process stores the range's transaction")
            let pending = try #require(try await pools[1].appServiceState(serviceID: "bridge")?.pending)
            #expect(pending == stored.first, "every process reads the one stored")
            let completed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for pool in pools {
                    group.addTask {
                        try await pool.completeAppServiceTransaction(serviceID: "bridge", transactionID: pending.id)
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(completed == 1, "one acknowledgement moves the positions")
            let state = try #require(try await pools[2].appServiceState(serviceID: "bridge"))
            #expect(state.positions == next && state.pending == nil && state.lastTransactionID == pending.id)
        }
    }

    @Test func concurrentFirstTakersGetOneLease() async throws {
        try await TestPostgres.withStores { stores in
            var pools: [PostgresStore] = []
            for _ in 0..<4 { pools.append(try await stores.open(maximumConnections: 3)) }
            for round in 0..<5 {
                let name = "destination-\(round)"
                let holders = try await withThrowingTaskGroup(of: Lease?.self) { group in
                    for (index, pool) in pools.enumerated() {
                        group.addTask {
                            try await pool.acquireLease(name, holder: "p\(index)", now: 1_000, duration: 30_000)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }.compactMap { $0 }
                }
                #expect(holders.count == 1, "one holder of \(name), got \(holders.map(\.holder))")
            }
        }
    }

    /// A wake-up published by one process reaches another's subscriber quickly, never its own;
    /// a subscriber that loses its connection reconnects and says so.
    @Test func announcementsReachOtherProcesses() async throws {
        try await TestPostgres.withStores { stores in
            let a = try await stores.open()
            let b = try await stores.open()
            try await a.prepare()
            let heard = Mutex<[ChangeBusEvent]>([])
            let listening = Task {
                await b.changeBus.subscribe { event in heard.withLock { $0.append(event) } }
            }
            let ownHeard = Mutex<[ChangeBusEvent]>([])
            let ownListening = Task {
                await a.changeBus.subscribe { event in ownHeard.withLock { $0.append(event) } }
            }
            defer {
                listening.cancel()
                ownListening.cancel()
            }
            func wait(until condition: @Sendable () -> Bool) async throws -> Duration {
                let start = ContinuousClock.now
                while !condition(), ContinuousClock.now - start < .seconds(10) {
                    try await Task.sleep(for: .milliseconds(5))
                }
                return ContinuousClock.now - start
            }
            _ = try await wait {
                heard.withLock { $0.contains(.resumed) } && ownHeard.withLock { $0.contains(.resumed) }
            }
            #expect(heard.withLock { $0 } == [.resumed], "subscribed")

            let sent = ChangeAnnouncement(users: ["@alice:example.com", "@bob:example.com"], outbound: true)
            await a.changeBus.publish(sent)
            let took = try await wait { heard.withLock { $0.contains(.change(sent)) } }
            #expect(heard.withLock { $0 }.last == .change(sent))
            #expect(took < .seconds(1), "delivered in \(took)")

            // Many users: cut into several notifications, none lost.
            let many = (0..<2_000).map { "@user\($0):example.com" }
            await a.changeBus.publish(ChangeAnnouncement(users: many, outbound: false))
            _ = try await wait {
                Set(
                    heard.withLock { $0 }.flatMap { event -> [String] in
                        if case .change(let announcement) = event { return announcement.users }
                        return []
                    }
                ).isSuperset(of: many)
            }
            let received = heard.withLock { $0 }.flatMap { event -> [String] in
                if case .change(let announcement) = event { return announcement.users }
                return []
            }
            #expect(Set(received).isSuperset(of: many))
            #expect(ownHeard.withLock { $0 } == [.resumed], "a process does not hear its own announcements")

            // The listener's connection is killed: it comes back and reports that it missed some.
            _ = try await a.client.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'",
                logger: TestPostgres.logger
            ).collect()
            let resumed = try await wait { heard.withLock { $0 }.filter { $0 == .resumed }.count >= 2 }
            #expect(heard.withLock { $0 }.filter { $0 == .resumed }.count >= 2, "resumed after \(resumed)")
            let after = ChangeAnnouncement(users: ["@carol:example.com"], outbound: false)
            await a.changeBus.publish(after)
            _ = try await wait { heard.withLock { $0.contains(.change(after)) } }
            #expect(heard.withLock { $0.contains(.change(after)) }, "heard again after reconnecting")
        }
    }
}
