import Foundation
import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import Logging
import MatrixModel
import MatrixSigning
import Synchronization
import Testing

@testable import KeyportFederation

/// Several senders on one database (as several processes would run): one sends to a destination
/// at a time, each EDU arrives once, transaction IDs never repeat, and a dead holder's destination
/// is taken over when its lease expires.
@Suite struct FederationSenderLeaseTests {
    final class PeerLog: Sendable {
        let delivered = Mutex<[Int64]>([])
        let transactionIDs = Mutex<[String]>([])
        let concurrent = Mutex((now: 0, most: 0))
    }

    static func peer(_ log: PeerLog) -> FakePeer.Handler {
        { request in
            guard request.method == "PUT", request.path.hasPrefix("/_matrix/federation/v1/send/") else {
                return (404, ["errcode": "M_UNRECOGNIZED"])
            }
            log.concurrent.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            // Slow enough that two senders draining the same queue would overlap.
            try? await Task.sleep(for: .milliseconds(30))
            log.transactionIDs.withLock { $0.append(String(request.path.split(separator: "/").last ?? "")) }
            let contents = (request.body?["edus"]?.arrayValue ?? []).compactMap { $0["content"] }
            log.delivered.withLock { $0 += contents.compactMap { $0["n"]?.intValue } }
            log.concurrent.withLock { $0.now -= 1 }
            return (200, ["pdus": [:]])
        }
    }

    static func sender(
        _ store: SQLiteStore, _ client: FederationClient, _ identity: ServerIdentity, _ leases: SenderLeases
    ) -> FederationSender {
        let notifications = ChangeNotifications(store: store, notifier: SyncNotifier())
        var logger = Logger(label: "sender")
        logger.logLevel = .critical
        return FederationSender(
            store: store, client: client, identity: identity,
            keys: KeyService(store: store, identity: identity, clock: .system, notifications: notifications),
            signal: OutboundSignal(), schedule: RetrySchedule(minimum: .seconds(3600)), clock: .system,
            logger: logger, leases: leases)
    }

    static func enqueue(_ store: SQLiteStore, _ peer: String, _ range: Range<Int>) async throws {
        try await store.enqueueEDUs(
            range.map { QueuedEDU(destination: peer, type: "m.test", content: ["n": .int(Int64($0))]) }, now: 1)
    }

    static func waitForEmptyQueue(_ store: SQLiteStore, _ peer: String) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while try await !store.queuedEDUs(destination: peer, limit: 1).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func twoSendersDeliverEachEDUOnce() async throws {
        let log = PeerLog()
        try await FakePeer.run(Self.peer(log)) { peer in
            let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/senders.db")
            let identity = ServerIdentity(serverName: ServerName("origin.test")!, signingKey: SigningKey.generate())
            try await FakePeer.withClient(identity) { client in
                let senders = (1...2).map { Self.sender(store, client, identity, SenderLeases(instanceName: "p\($0)")) }
                let running = senders.map { sender in Task { await sender.run() } }
                for batch in 0..<5 {
                    try await Self.enqueue(store, peer, (batch * 150)..<((batch + 1) * 150))
                    try await Task.sleep(for: .milliseconds(40))
                }
                try await Self.waitForEmptyQueue(store, peer)
                for task in running { task.cancel() }
                for task in running { await task.value }
            }
            let delivered = log.delivered.withLock { $0 }
            #expect(delivered.count - Set(delivered).count == 0, "no EDU arrives twice")
            #expect(Set(delivered) == Set((0..<750).map(Int64.init)), "every EDU arrives")
            #expect(log.concurrent.withLock { $0.most } == 1, "one transaction in flight at a time")
            let ids = log.transactionIDs.withLock { $0 }
            #expect(Set(ids).count == ids.count, "transaction IDs never repeat")
        }
    }

    @Test func aDeadHoldersDestinationIsTakenOverWhenItsLeaseExpires() async throws {
        let log = PeerLog()
        try await FakePeer.run(Self.peer(log)) { peer in
            let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/takeover.db")
            let identity = ServerIdentity(serverName: ServerName("origin.test")!, signingKey: SigningKey.generate())
            try await Self.enqueue(store, peer, 0..<10)
            // A process took the destination and died: its lease runs 1.5 s more.
            let expiry = ServerClock.system.now() + 1_500
            let dead = try #require(
                try await store.acquireLease(
                    SenderLeases.destination(peer), holder: "dead/1", now: expiry - 30_000, duration: 30_000))
            try await FakePeer.withClient(identity) { client in
                let sender = Self.sender(
                    store, client, identity, SenderLeases(instanceName: "alive", duration: .seconds(2)))
                let running = Task { await sender.run() }
                try await Task.sleep(for: .milliseconds(1_000))
                #expect(log.delivered.withLock { $0 }.isEmpty, "nothing is sent while the dead holder's lease runs")
                try await Self.waitForEmptyQueue(store, peer)
                running.cancel()
                await running.value
            }
            #expect(log.delivered.withLock { $0 }.sorted() == (0..<10).map(Int64.init), "taken over and sent")
            #expect(
                try await !store.deleteQueuedEDUs(ids: [], under: dead), "the dead holder's fence no longer counts")
        }
    }

    /// At shutdown the leases are given up so that the next process sends at once; a drain still
    /// running then (a task of its own, delayed on a busy machine) must not take one again, or the
    /// destination waits 30 s for it to expire (seen as a to-device message not delivered after a
    /// restart, in `FederationKeysTests.toDeviceSurvivesASenderRestart` under load).
    @Test func aSenderThatGaveUpItsLeasesTakesNoNewOne() async throws {
        let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/stopping.db")
        let identity = ServerIdentity(serverName: ServerName("origin.test")!, signingKey: SigningKey.generate())
        try await FakePeer.withClient(identity) { client in
            let sender = Self.sender(store, client, identity, SenderLeases(instanceName: "stopping"))
            #expect(await sender.lease(for: "a.test") != nil)
            await sender.releaseLeases()
            #expect(await sender.lease(for: "a.test") == nil, "no lease taken again after giving them up")
            #expect(await sender.lease(for: "b.test") == nil, "nor a new one")
            for destination in ["a.test", "b.test"] {
                let next = try await store.acquireLease(
                    SenderLeases.destination(destination), holder: "next/1", now: ServerClock.system.now(),
                    duration: 30_000)
                #expect(next != nil, "\(destination) is free for the next process at once")
            }
        }
    }

    /// A destination's backoff is in the store: the process that did not fail sees it and can
    /// reset it (the admin API may be answered by any process).
    @Test func backoffIsSharedBetweenProcesses() async throws {
        let attempts = Mutex(0)
        let failing: FakePeer.Handler = { _ in
            attempts.withLock { $0 += 1 }
            return (503, ["errcode": "M_UNKNOWN", "error": "down for maintenance"])
        }
        try await FakePeer.run(failing) { peer in
            let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/backoff.db")
            let identity = ServerIdentity(serverName: ServerName("origin.test")!, signingKey: SigningKey.generate())
            try await Self.enqueue(store, peer, 0..<3)
            try await FakePeer.withClient(identity) { client in
                let failingSender = Self.sender(store, client, identity, SenderLeases(instanceName: "p1"))
                let other = Self.sender(store, client, identity, SenderLeases(instanceName: "p2"))
                let running = Task { await failingSender.run() }
                let deadline = ContinuousClock.now + .seconds(10)
                while try await store.destinationRetries().isEmpty, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(20))
                }
                running.cancel()
                await running.value
                #expect(attempts.withLock { $0 } >= 1, "the peer was tried")
                let seen = try await other.destinationStates()
                #expect(seen.map(\.destination) == [peer])
                #expect(seen.first?.backoff != nil, "the other process sees the backoff")
                #expect(try await other.resetConnection(peer), "and can reset it")
                #expect(try await store.destinationRetries().isEmpty)
            }
        }
    }
}
