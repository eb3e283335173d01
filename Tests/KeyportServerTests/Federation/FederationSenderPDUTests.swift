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

/// Room events in the outbound queue: a PDU reaches the destination exactly as stored, ≤50 per
/// transaction in queue order beside ≤100 EDUs, nothing leaves the queue before a 200, a PDU the
/// destination judged is not sent again, and a sender that lost its lease deletes nothing.
@Suite struct FederationSenderPDUTests {
    /// One `PUT /send` as the fake peer received it.
    struct Received: Sendable {
        var transactionID: String
        var pdus: [JSONObject]
        var edus: [JSONObject]
    }

    final class PeerLog: Sendable {
        let transactions = Mutex<[Received]>([])

        var all: [Received] { transactions.withLock { $0 } }
        var pduNumbers: [Int64] { all.flatMap { $0.pdus.compactMap { $0["content"]?["n"]?.intValue } } }
    }

    /// A peer that records every transaction and answers with `answer(received, attempt)`.
    static func peer(
        _ log: PeerLog,
        answer: @escaping @Sendable (Received, Int) async -> (status: Int, body: JSONValue) = { _, _ in
            (200, ["pdus": [:]])
        }
    ) -> FakePeer.Handler {
        { request in
            guard request.method == "PUT", request.path.hasPrefix("/_matrix/federation/v1/send/") else {
                return (404, ["errcode": "M_UNRECOGNIZED"])
            }
            let received = Received(
                transactionID: String(request.path.split(separator: "/").last ?? ""),
                pdus: (request.body?["pdus"]?.arrayValue ?? []).compactMap(\.objectValue),
                edus: (request.body?["edus"]?.arrayValue ?? []).compactMap(\.objectValue))
            let attempt = log.transactions.withLock {
                $0.append(received)
                return $0.count
            }
            return await answer(received, attempt)
        }
    }

    static let room = "!pdus:origin.test"
    static let identity = ServerIdentity(serverName: ServerName("origin.test")!, signingKey: SigningKey.generate())

    /// A PDU as a server stores it, with what a re-serialisation would lose or change: member names
    /// that differ only in Unicode normalisation, escapes, `unsigned`, and no `event_id`.
    static func pdu(_ n: Int) -> JSONObject {
        [
            "room_id": .string(room), "type": "m.room.message", "sender": "@alice:origin.test",
            "origin_server_ts": .int(1_700_000_000_000 + Int64(n)), "depth": .int(Int64(n) + 1),
            "prev_events": .array(n == 0 ? [] : [.string("$e\(n - 1)")]), "auth_events": ["$create"],
            "content": [
                "n": .int(Int64(n)), "body": "line\nnext \u{2028} \"quoted\" é", "\u{e9}": "composed",
                "e\u{301}": "decomposed",
            ],
            "hashes": ["sha256": .string("hash-\(n)")],
            "signatures": ["origin.test": ["ed25519:a": .string("sig-\(n)")]],
            "unsigned": ["age_ts": 5],
        ]
    }

    /// Stores events `$e<n>` with those PDUs in one room.
    static func storeEvents(_ store: SQLiteStore, _ numbers: Range<Int>) async throws {
        if try await !store.roomExists(roomID: room) {
            try await store.createRoom(roomID: room, version: "12", creator: "@alice:origin.test", now: 1)
        }
        try await store.appendEvents(
            numbers.map { n in
                RoomEvent(
                    eventID: "$e\(n)", roomID: room, type: "m.room.message", stateKey: nil,
                    sender: "@alice:origin.test", content: pdu(n)["content"]?.objectValue ?? [:],
                    originServerTS: 1_700_000_000_000, pdu: pdu(n), depth: Int64(n) + 1)
            })
    }

    static func edus(_ peer: String, _ numbers: Range<Int>) -> [QueuedEDU] {
        numbers.map { QueuedEDU(destination: peer, type: "m.test", content: ["edu": .int(Int64($0))]) }
    }

    static func sender(
        _ store: SQLiteStore, _ client: FederationClient, signal: OutboundSignal = OutboundSignal(),
        retry: RetrySchedule = RetrySchedule(minimum: .seconds(3600)), leases: SenderLeases = SenderLeases(),
        maxConcurrentDestinations: Int = 512
    ) -> FederationSender {
        let notifications = ChangeNotifications(store: store, notifier: SyncNotifier(), outbound: signal)
        var logger = Logger(label: "sender")
        logger.logLevel = .critical
        return FederationSender(
            store: store, client: client, identity: identity,
            keys: KeyService(store: store, identity: identity, clock: .system, notifications: notifications),
            signal: signal, schedule: retry, clock: .system, logger: logger, leases: leases,
            maxConcurrentDestinations: maxConcurrentDestinations)
    }

    /// Waits until `done` holds or 20 s pass.
    static func wait(until done: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while try await !done(), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    static func queueIsEmpty(_ store: SQLiteStore, _ peer: String) async throws -> Bool {
        let pdus = try await store.queuedPDUs(destination: peer, limit: 1)
        let edus = try await store.queuedEDUs(destination: peer, limit: 1)
        return pdus.isEmpty && edus.isEmpty
    }

    /// Runs `body` with a fresh store and a federation client, against a fake peer.
    static func withPeer(
        _ handler: @escaping FakePeer.Handler,
        _ body: @Sendable (_ peer: String, _ store: SQLiteStore, _ client: FederationClient) async throws -> Void
    ) async throws {
        try await FakePeer.run(handler) { peer in
            let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/pdus.db")
            try await FakePeer.withClient(identity) { client in try await body(peer, store, client) }
        }
    }

    /// Runs a sender until `done` holds (or 20 s pass), then stops it.
    static func run(_ sender: FederationSender, until done: () async throws -> Bool) async throws {
        let running = Task { await sender.run() }
        try await wait(until: done)
        running.cancel()
        await running.value
    }

    @Test func aQueuedPDUReachesThePeerExactlyAsStored() async throws {
        let log = PeerLog()
        try await Self.withPeer(Self.peer(log)) { peer, store, client in
            try await Self.storeEvents(store, 0..<1)
            let signal = OutboundSignal()
            let outbound = OutboundRoomEvents(
                store: store, identity: Self.identity, clock: .system,
                notifications: ChangeNotifications(store: store, notifier: SyncNotifier(), outbound: signal))
            let sender = Self.sender(store, client, signal: signal)
            let running = Task { await sender.run() }
            // The sender has looked once and found nothing; the entry point wakes it well before the
            // 5 s it would wait.
            try await Task.sleep(for: .milliseconds(300))
            let queuedAt = ContinuousClock.now
            try await outbound.enqueue(eventID: "$e0", destinations: [peer, "origin.test"])
            try await Self.wait { try await Self.queueIsEmpty(store, peer) }
            let latency = ContinuousClock.now - queuedAt
            running.cancel()
            await running.value

            // Its next look would come 5 s after the first, 4.7 s after the enqueue; the rest of the
            // margin is for a machine running the whole suite at once.
            #expect(latency < .seconds(4), "the sender was woken, not found by its next look (\(latency))")
            #expect(log.all.count == 1)
            let received = try #require(log.all.first)
            #expect(received.edus.isEmpty)
            #expect(received.pdus == [Self.pdu(0)], "the PDU as stored, member for member")
            #expect(
                received.pdus.map { JSONValue.object($0).encodedString() } == [
                    JSONValue.object(Self.pdu(0)).encodedString()
                ])
            #expect(received.pdus.first?["event_id"] == nil, "no event_id added for a v12 room")
            #expect(try await store.queuedPDUs(destination: "origin.test", limit: 1).isEmpty, "never to ourselves")
        }
    }

    @Test func anEntryWithoutAStoredPDUIsDroppedNotSent() async throws {
        let log = PeerLog()
        try await Self.withPeer(Self.peer(log)) { peer, store, client in
            try await Self.storeEvents(store, 0..<2)
            try await store.appendEvents([
                RoomEvent(
                    eventID: "$legacy", roomID: Self.room, type: "m.room.message", stateKey: nil,
                    sender: "@alice:origin.test", content: [:], originServerTS: 1)
            ])
            try await store.enqueuePDUs(eventIDs: ["$e0", "$legacy", "$e1"], destinations: [peer], now: 1)
            try await Self.run(Self.sender(store, client)) { try await Self.queueIsEmpty(store, peer) }

            #expect(try await Self.queueIsEmpty(store, peer), "the entry leaves the queue")
            #expect(log.all.map(\.pdus) == [[Self.pdu(0), Self.pdu(1)]], "nothing is sent in its place")
        }
    }

    @Test func manyPDUsGoOutFiftyAtATimeInOrder() async throws {
        let log = PeerLog()
        try await Self.withPeer(Self.peer(log)) { peer, store, client in
            try await Self.storeEvents(store, 0..<120)
            for start in stride(from: 0, to: 120, by: 40) {
                try await store.enqueuePDUs(
                    eventIDs: (start..<start + 40).map { "$e\($0)" }, destinations: [peer], now: 1)
            }
            try await Self.run(Self.sender(store, client)) { try await Self.queueIsEmpty(store, peer) }

            #expect(log.all.map(\.pdus.count) == [50, 50, 20])
            #expect(log.pduNumbers == (0..<120).map(Int64.init), "each PDU once, oldest first")
        }
    }

    @Test func pdusAndEDUsShareTransactions() async throws {
        let log = PeerLog()
        try await Self.withPeer(Self.peer(log)) { peer, store, client in
            try await Self.storeEvents(store, 0..<60)
            try await store.enqueuePDUs(eventIDs: (0..<60).map { "$e\($0)" }, destinations: [peer], now: 1)
            try await store.enqueueEDUs(Self.edus(peer, 0..<130), now: 1)
            try await Self.run(Self.sender(store, client)) { try await Self.queueIsEmpty(store, peer) }

            #expect(log.all.map(\.pdus.count) == [50, 10])
            #expect(log.all.map(\.edus.count) == [100, 30])
            #expect(log.pduNumbers == (0..<60).map(Int64.init))
            let eduNumbers = log.all.flatMap { $0.edus.compactMap { $0["content"]?["edu"]?.intValue } }
            #expect(eduNumbers == (0..<130).map(Int64.init))
        }
    }

    @Test func aFailedTransactionKeepsEverythingQueuedAndIsRetriedWhole() async throws {
        let log = PeerLog()
        let handler = Self.peer(log) { _, attempt in
            attempt == 1 ? (500, ["errcode": "M_UNKNOWN", "error": "down"]) : (200, ["pdus": [:]])
        }
        try await Self.withPeer(handler) { peer, store, client in
            try await Self.storeEvents(store, 0..<3)
            try await store.enqueuePDUs(eventIDs: ["$e0", "$e1", "$e2"], destinations: [peer], now: 1)
            try await store.enqueueEDUs(Self.edus(peer, 0..<2), now: 1)
            let sender = Self.sender(
                store, client, retry: RetrySchedule(minimum: .seconds(1), multiplier: 1, maximum: .seconds(1)))
            let running = Task { await sender.run() }
            try await Self.wait { log.all.count >= 1 }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await store.queuedPDUCounts() == [peer: 3], "nothing deleted after a 500")
            #expect(try await store.queuedEDUCounts() == [peer: 2])
            #expect(try await store.destinationRetries().map(\.destination) == [peer], "backed off")
            #expect(log.all.count == 1, "not retried before the backoff ends")
            try await Self.wait { try await Self.queueIsEmpty(store, peer) }
            running.cancel()
            await running.value

            let attempts = log.all
            #expect(attempts.count == 2)
            #expect(
                attempts.map(\.pdus) == [
                    [Self.pdu(0), Self.pdu(1), Self.pdu(2)], [Self.pdu(0), Self.pdu(1), Self.pdu(2)],
                ])
            #expect(attempts.map(\.edus.count) == [2, 2], "the same transaction again")
            #expect(try await store.destinationRetries().isEmpty, "a 200 clears the backoff")
        }
    }

    @Test func aPDUTheDestinationRejectsInItsAnswerIsNotSentAgain() async throws {
        let log = PeerLog()
        let handler = Self.peer(log) { received, _ in
            var results: JSONObject = [:]
            for pdu in received.pdus {
                let n = pdu["content"]?["n"]?.intValue ?? -1
                results["$e\(n)"] = n == 1 ? ["error": "Signature check failed"] : [:]
            }
            return (200, ["pdus": .object(results)])
        }
        try await Self.withPeer(handler) { peer, store, client in
            try await Self.storeEvents(store, 0..<4)
            try await store.enqueuePDUs(eventIDs: ["$e0", "$e1", "$e2"], destinations: [peer], now: 1)
            let signal = OutboundSignal()
            let sender = Self.sender(store, client, signal: signal)
            let running = Task { await sender.run() }
            try await Self.wait { try await Self.queueIsEmpty(store, peer) }
            // A later event goes out on its own: the refused one is not carried again.
            try await store.enqueuePDUs(eventIDs: ["$e3"], destinations: [peer], now: 2)
            await signal.signal()
            try await Self.wait { try await Self.queueIsEmpty(store, peer) }
            try await Task.sleep(for: .milliseconds(200))
            running.cancel()
            await running.value

            #expect(log.all.map(\.pdus.count) == [3, 1])
            #expect(log.pduNumbers == [0, 1, 2, 3], "the refused PDU was sent once")
            #expect(try await store.destinationRetries().isEmpty, "a per-PDU error is not a failure")
        }
    }

    @Test func aPDURefusedForItsContentIsFoundByHalvingAndDropped() async throws {
        let log = PeerLog()
        // The peer refuses any transaction carrying PDU 7, as a receiver refuses a body it cannot
        // take (413 M_TOO_LARGE).
        let handler = Self.peer(log) { received, _ in
            received.pdus.contains { $0["content"]?["n"]?.intValue == 7 }
                ? (413, ["errcode": "M_TOO_LARGE", "error": "too large"]) : (200, ["pdus": [:]])
        }
        try await Self.withPeer(handler) { peer, store, client in
            try await Self.storeEvents(store, 0..<12)
            try await store.enqueuePDUs(eventIDs: (0..<12).map { "$e\($0)" }, destinations: [peer], now: 1)
            try await store.enqueueEDUs(Self.edus(peer, 0..<4), now: 1)
            try await Self.run(Self.sender(store, client)) { try await Self.queueIsEmpty(store, peer) }

            let accepted = log.all.filter { !$0.pdus.contains { $0["content"]?["n"]?.intValue == 7 } }
            let pdus = accepted.flatMap { $0.pdus.compactMap { $0["content"]?["n"]?.intValue } }
            #expect(pdus == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11], "the others arrive, in order")
            let edus = accepted.flatMap { $0.edus.compactMap { $0["content"]?["edu"]?.intValue } }
            #expect(edus == [0, 1, 2, 3], "the EDUs of the refused transaction arrive too")
            #expect(log.all.count - accepted.count <= 5, "found by halving, not one by one")
        }
    }

    @Test func aSenderThatLostItsLeaseDeletesNothing() async throws {
        let log = PeerLog()
        let released = Mutex(false)
        // The first transaction is answered only once the test says so: by then its sender's
        // lease has been taken over.
        let handler = Self.peer(log) { _, _ in
            while !released.withLock({ $0 }) { try? await Task.sleep(for: .milliseconds(10)) }
            return (200, ["pdus": [:]])
        }
        try await Self.withPeer(handler) { peer, store, client in
            try await Self.storeEvents(store, 0..<2)
            try await store.enqueuePDUs(eventIDs: ["$e0", "$e1"], destinations: [peer], now: 1)
            let sender = Self.sender(store, client, leases: SenderLeases(instanceName: "slow", duration: .seconds(2)))
            let running = Task { await sender.run() }
            try await Self.wait { log.all.count == 1 }
            // Another process takes the destination once the stalled sender's lease has expired.
            let now = ServerClock.system.now()
            let taker = try await store.acquireLease(
                SenderLeases.destination(peer), holder: "taker/1", now: now + 60_000, duration: 60_000)
            #expect(taker != nil)
            released.withLock { $0 = true }
            try await Task.sleep(for: .milliseconds(500))
            running.cancel()
            await running.value

            #expect(log.all.count == 1, "the new holder's destination is left alone")
            #expect(
                try await store.queuedPDUs(destination: peer, limit: 10).map(\.eventID) == ["$e0", "$e1"],
                "left for the new holder to send")
        }
    }
}
