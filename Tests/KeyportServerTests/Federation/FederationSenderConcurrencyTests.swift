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

/// A change for many servers is sent to at most `maxConcurrentDestinations` of them at once, and
/// the others get their turn as drains end: every one is reached.
@Suite struct FederationSenderConcurrencyTests {
    /// How many transactions the peers were answering at once, at most, and who got theirs.
    final class PeerLog: Sendable {
        let current = Mutex(0)
        let most = Mutex(0)
        let delivered = Mutex<Set<Int64>>([])
    }

    /// Runs `count` fake peers sharing `handler`, and `body` with their server names.
    private func withPeers(
        _ count: Int, _ handler: @escaping FakePeer.Handler, names: [String] = [],
        _ body: @Sendable ([String]) async throws -> Void
    ) async throws {
        guard names.count < count else { return try await body(names) }
        try await FakePeer.run(handler) { peer in
            try await withPeers(count, handler, names: names + [peer], body)
        }
    }

    @Test func atMostTheLimitOfDestinationsAreSentToAtOnce() async throws {
        let log = PeerLog()
        let handler: FakePeer.Handler = { request in
            guard request.method == "PUT", request.path.hasPrefix("/_matrix/federation/v1/send/") else {
                return (404, ["errcode": "M_UNRECOGNIZED"])
            }
            let now = log.current.withLock { current in
                current += 1
                return current
            }
            log.most.withLock { $0 = max($0, now) }
            // Long enough that every destination would be in flight together without the limit.
            try? await Task.sleep(for: .milliseconds(400))
            log.current.withLock { $0 -= 1 }
            let numbers = (request.body?["edus"]?.arrayValue ?? []).compactMap { $0["content"]?["n"]?.intValue }
            log.delivered.withLock { $0.formUnion(numbers) }
            return (200, ["pdus": [:]])
        }
        try await withPeers(5, handler) { peers in
            let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/sender.db")
            try await store.enqueueEDUs(
                peers.enumerated().map {
                    QueuedEDU(destination: $0.element, type: "m.test", content: ["n": .int(Int64($0.offset))])
                }, now: 1)
            try await FakePeer.withClient(FederationSenderPDUTests.identity) { client in
                let sender = FederationSenderPDUTests.sender(store, client, maxConcurrentDestinations: 2)
                let running = Task { await sender.run() }
                let deadline = ContinuousClock.now + .seconds(20)
                while log.delivered.withLock({ $0.count }) < peers.count, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                running.cancel()
                await running.value
            }
            #expect(log.delivered.withLock { $0 } == Set(0..<Int64(peers.count)), "every destination is reached")
            // Never more than the limit. (Two at once is what an idle machine shows; under the whole
            // suite the two drains' requests need not overlap, as a CI run found.)
            #expect((1...2).contains(log.most.withLock { $0 }), "at most two at once")
        }
    }
}
