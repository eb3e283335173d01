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

/// One EDU a destination refuses must not hold its queue forever: the refused transaction is
/// split until the refused EDU is alone, that one is dropped, everything else arrives.
@Suite struct FederationSenderRefusalTests {
    /// What the fake peer saw.
    final class PeerLog: Sendable {
        let delivered = Mutex<[Int64]>([])
        let refusals = Mutex(0)
    }

    @Test func aRefusedEDUIsDroppedAndTheRestArrive() async throws {
        let log = PeerLog()
        // The peer refuses any transaction carrying the poisoned EDU, as a receiver refuses a body
        // it cannot take (400 M_BAD_JSON, 413 M_TOO_LARGE).
        let peerHandler: FakePeer.Handler = { request in
            guard request.method == "PUT", request.path.hasPrefix("/_matrix/federation/v1/send/") else {
                return (404, ["errcode": "M_UNRECOGNIZED"])
            }
            let contents = (request.body?["edus"]?.arrayValue ?? []).compactMap { $0["content"] }
            if contents.contains(where: { $0["poison"] == true }) {
                log.refusals.withLock { $0 += 1 }
                return (400, ["errcode": "M_BAD_JSON", "error": "I will not take that EDU"])
            }
            log.delivered.withLock { $0 += contents.compactMap { $0["n"]?.intValue } }
            return (200, ["pdus": [:]])
        }
        try await FakePeer.run(peerHandler) { peer in
            let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/sender.db")
            var queued: [QueuedEDU] = []
            for n in 0..<12 {
                var content: JSONObject = ["n": .int(Int64(n))]
                if n == 7 { content["poison"] = true }
                queued.append(QueuedEDU(destination: peer, type: "m.test", content: content))
            }
            try await store.enqueueEDUs(queued, now: 1)

            try await FakePeer.withClient(FederationSenderPDUTests.identity) { client in
                let sender = FederationSenderPDUTests.sender(store, client)
                let running = Task { await sender.run() }
                let deadline = ContinuousClock.now + .seconds(20)
                while try await !store.queuedEDUs(destination: peer, limit: 100).isEmpty,
                    ContinuousClock.now < deadline
                {
                    try await Task.sleep(for: .milliseconds(50))
                }
                running.cancel()
                await running.value
            }

            #expect(try await store.queuedEDUs(destination: peer, limit: 100).isEmpty, "the queue empties")
            #expect(
                log.delivered.withLock { $0 } == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11], "the others arrive, in order")
            #expect(log.refusals.withLock { $0 } <= 8, "the refused EDU is found by halving, not one by one")
        }
    }

    @Test func onlyRefusalsAboutTheContentSplit() {
        #expect(TransactionOutcome(nil) == .delivered)
        for code in [400, 403, 413, 422] where !TransactionOutcome.notAboutContent.contains(code) {
            let error = FederationError.status(code, nil)
            #expect(TransactionOutcome(error) == .refused(error), "\(code)")
        }
        for error in [
            FederationError.status(401, nil), .status(403, nil), .status(404, nil), .status(429, nil),
            .status(500, nil), .status(502, nil), .unreachable("down"), .blocked("no"), .invalidResponse("?"),
            .tooLarge("big"), .overloaded("busy"),
        ] {
            #expect(TransactionOutcome(error) == .failed(error), "\(error)")
        }
    }
}
