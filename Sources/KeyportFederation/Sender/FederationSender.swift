import CoreMetrics
public import KeyportServices
public import KeyportStore
public import Logging
import MatrixModel

/// The outbound side (guarantees 2 and 3): one durable queue per destination in the store, at most
/// one transaction in flight per destination, ≤100 EDUs per transaction with to-device EDUs first,
/// EDUs deleted only after the destination answered 200, backoff between failures, and an
/// immediate retry when the destination is heard from again. Local device-list changes are fanned
/// out to every server sharing a room with the user before each round.
///
/// A destination that refuses a transaction for what it carries (``TransactionOutcome``) would
/// refuse it again forever and hold up everything queued behind it, so the transaction is split
/// in halves, each sent on its own, until the EDU that is refused alone is found; that one is
/// dropped with a warning and the rest keep flowing.
public actor FederationSender {
    let store: any KeyportStorage
    let client: FederationClient
    let identity: ServerIdentity
    let fanOut: DeviceListFanOut
    let signal: OutboundSignal
    let schedule: RetrySchedule
    let clock: ServerClock
    let logger: Logger
    let metrics: FederationMetrics
    var inFlight: Set<String> = []
    var failures: [String: Int] = [:]
    var retryAt: [String: ContinuousClock.Instant] = [:]
    /// Per destination in backoff: when its failures began, when it last failed, the current delay.
    var backoff: [String: DestinationState.Backoff] = [:]
    var transactionCounter = 0

    public init(
        store: any KeyportStorage, client: FederationClient, identity: ServerIdentity, keys: KeyService,
        signal: OutboundSignal, schedule: RetrySchedule, clock: ServerClock, logger: Logger,
        metrics: FederationMetrics = FederationMetrics()
    ) {
        self.metrics = metrics
        self.store = store
        self.client = client
        self.identity = identity
        self.fanOut = DeviceListFanOut(store: store, identity: identity, keys: keys, clock: clock)
        self.signal = signal
        self.schedule = schedule
        self.clock = clock
        self.logger = logger
    }

    /// Runs until cancelled: fan out, start a drain for every ready destination, sleep until the
    /// next signal or the next retry time.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await fanOut.run()
                for destination in try await store.destinationsWithQueuedEDUs() { startDrain(destination) }
            } catch {
                logger.error("federation sender round failed", metadata: ["error": "\(error)"])
            }
            let now = ContinuousClock.now
            let nextRetry = retryAt.values.filter { $0 > now }.min()
            // Memberships written by another process (or a test) wake nobody: look again every 5 s.
            let wait = nextRetry.map { min($0 - now, .seconds(5)) } ?? .seconds(5)
            await signal.wait(timeout: max(wait, .milliseconds(10)))
        }
    }

    /// The destination talked to us: forget its backoff and send what is queued now.
    public func destinationIsUp(_ destination: String) async {
        guard failures[destination] != nil else { return }
        clearBackoff(destination)
        await signal.signal()
    }

    /// What the admin API shows: every destination with queued EDUs or in backoff, by name.
    public func destinationStates() async throws -> [DestinationState] {
        let queued = Set(try await store.destinationsWithQueuedEDUs())
        return queued.union(backoff.keys).sorted().map { destination in
            DestinationState(
                destination: destination, backoff: backoff[destination], hasQueuedEDUs: queued.contains(destination))
        }
    }

    /// The admin API's `reset_connection`: forget the backoff and try at once. False when the
    /// destination is not in backoff.
    public func resetConnection(_ destination: String) async -> Bool {
        guard failures[destination] != nil else { return false }
        clearBackoff(destination)
        await signal.signal()
        return true
    }

    private func clearBackoff(_ destination: String) {
        failures[destination] = nil
        retryAt[destination] = nil
        backoff[destination] = nil
        metrics.backedOffDestinations.record(backoff.count)
    }

    private func startDrain(_ destination: String) {
        guard !inFlight.contains(destination) else { return }
        if let at = retryAt[destination], at > .now { return }
        inFlight.insert(destination)
        Task { await self.drain(destination) }
    }

    /// Sends transactions to one destination until its queue is empty or a send fails.
    private func drain(_ destination: String) async {
        defer { inFlight.remove(destination) }
        while !Task.isCancelled {
            let edus: [QueuedEDU]
            do {
                edus = try await store.queuedEDUs(destination: destination, limit: 100)
            } catch {
                logger.error("cannot read the outbound queue", metadata: ["error": "\(error)"])
                return
            }
            if edus.isEmpty { return }
            guard await deliver(edus, to: destination) else { return }
        }
    }

    /// Sends `edus` in order, splitting any part the destination refuses for its content until
    /// the refused EDU stands alone, and drops that one. Returns false after a failure that is not
    /// about the content (the destination is backed off) or when the queue cannot be updated.
    private func deliver(_ edus: [QueuedEDU], to destination: String) async -> Bool {
        // A stack of parts still to send: the first part on top, so the order is kept.
        var parts: [ArraySlice<QueuedEDU>] = [edus[...]]
        while let part = parts.popLast() {
            let outcome = TransactionOutcome(await send(part, to: destination))
            switch outcome {
            case .delivered: metrics.transaction(destination: destination, result: "sent")
            case .refused: metrics.transaction(destination: destination, result: "refused")
            case .failed: metrics.transaction(destination: destination, result: "failed")
            }
            switch outcome {
            case .delivered:
                guard await remove(part, from: destination) else { return false }
                clearBackoff(destination)
            case .refused(let error) where part.count == 1:
                logger.warning(
                    "destination refused an EDU for its content; dropped",
                    metadata: [
                        "destination": "\(destination)", "edu_type": "\(part[part.startIndex].type)",
                        "error": "\(error)",
                    ])
                guard await remove(part, from: destination) else { return false }
            case .refused:
                let middle = part.startIndex + part.count / 2
                parts.append(part[middle...])
                parts.append(part[..<middle])
            case .failed(let error):
                let count = (failures[destination] ?? 0) + 1
                failures[destination] = count
                let delay = schedule.delay(afterFailures: count)
                retryAt[destination] = .now + delay
                let now = clock.now()
                backoff[destination] = DestinationState.Backoff(
                    failureTS: backoff[destination]?.failureTS ?? now, retryLastTS: now,
                    retryInterval: delay.components.seconds * 1000 + delay.components.attoseconds
                        / 1_000_000_000_000_000)
                metrics.backedOffDestinations.record(backoff.count)
                logger.warning(
                    "transaction failed; will retry",
                    metadata: ["destination": "\(destination)", "error": "\(error)", "retry_in": "\(delay)"])
                await signal.signal()
                return false
            }
        }
        return true
    }

    /// One transaction carrying `edus`; nil when the destination answered 200.
    private func send(_ edus: ArraySlice<QueuedEDU>, to destination: String) async -> FederationError? {
        transactionCounter += 1
        let transactionID = "\(clock.now())-\(transactionCounter)"
        let body: JSONObject = [
            "origin": .string(identity.serverName.rawValue), "origin_server_ts": .int(clock.now()),
            "pdus": .array([]),
            "edus": .array(edus.map { .object(["edu_type": .string($0.type), "content": .object($0.content)]) }),
        ]
        do {
            _ = try await client.request(
                destination, method: "PUT", path: "/_matrix/federation/v1/send/\(transactionID)", body: body,
                timeout: .seconds(60), maxResponseBytes: FederationResponseLimit.transaction)
            return nil
        } catch {
            return error
        }
    }

    /// Deletes sent or dropped EDUs from the queue; false (logged) when the store fails.
    private func remove(_ edus: ArraySlice<QueuedEDU>, from destination: String) async -> Bool {
        do {
            try await store.deleteQueuedEDUs(ids: edus.map(\.id))
            return true
        } catch {
            logger.error(
                "cannot delete sent EDUs from the outbound queue",
                metadata: ["destination": "\(destination)", "error": "\(error)"])
            return false
        }
    }
}
