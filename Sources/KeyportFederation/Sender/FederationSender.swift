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
/// With several processes on one database, a destination is sent to by the one process holding
/// its lease (``SenderLeases``): taken before sending, renewed while it has work or backs off,
/// given up when its queue is empty, and lost to another process only when it expires. Sent EDUs
/// are deleted only while the lease is still held, in the same transaction as the check; a lost
/// lease leaves them for the new holder to send again. Transaction IDs carry the lease's fence, so
/// they are unique across processes and restarts.
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
    let leases: SenderLeases
    /// The leases this process holds, by destination.
    var held: [String: Lease] = [:]
    var inFlight: Set<String> = []
    /// The destinations in backoff as the store had them at the start of this round, plus this
    /// process's own failures and successes since (the store is the truth; this saves a read
    /// per transaction).
    var retries: [String: DestinationRetry] = [:]
    var transactionCounter = 0

    public init(
        store: any KeyportStorage, client: FederationClient, identity: ServerIdentity, keys: KeyService,
        signal: OutboundSignal, schedule: RetrySchedule, clock: ServerClock, logger: Logger,
        metrics: FederationMetrics = FederationMetrics(), leases: SenderLeases = SenderLeases()
    ) {
        self.metrics = metrics
        self.leases = leases
        self.store = store
        self.client = client
        self.identity = identity
        self.fanOut = DeviceListFanOut(store: store, identity: identity, keys: keys, clock: clock)
        self.signal = signal
        self.schedule = schedule
        self.clock = clock
        self.logger = logger
    }

    /// Runs until cancelled: fan out, start a drain for every ready destination, keep the leases
    /// of destinations backing off, sleep until the next signal or the next retry time.
    public func run() async {
        while !Task.isCancelled {
            do {
                try await fanOut.run()
                try await readRetries()
                for destination in try await store.destinationsWithQueuedEDUs() { startDrain(destination) }
                for destination in held.keys.sorted() where !inFlight.contains(destination) {
                    _ = await lease(for: destination)
                }
            } catch {
                logger.error("federation sender round failed", metadata: ["error": "\(error)"])
            }
            let now = clock.now()
            let nextRetry = retries.values.map(\.retryAt).filter { $0 > now }.min()
            // A write nobody announced (a test's, a lost notification) or a backoff another process
            // reset is seen within 5 s; leases are renewed well before they lapse.
            let ceiling = min(.seconds(5), leases.duration / 4)
            let wait = nextRetry.map { min(.milliseconds($0 - now), ceiling) } ?? ceiling
            await signal.wait(timeout: max(wait, .milliseconds(10)))
        }
    }

    /// The destination's lease, taken or renewed when needed; nil when another process holds it.
    private func lease(for destination: String) async -> Lease? {
        let now = clock.now()
        if let lease = held[destination], !leases.needsRenewal(expiresAt: lease.expiresAt, now: now) { return lease }
        do {
            let lease = try await store.acquireLease(
                SenderLeases.destination(destination), holder: leases.holder, now: now,
                duration: leases.milliseconds)
            if let previous = held[destination], previous.fence != lease?.fence {
                logger.warning(
                    "lost the lease of a destination to another process",
                    metadata: ["destination": "\(destination)", "fence": "\(previous.fence)"])
            }
            held[destination] = lease
            return lease
        } catch {
            logger.error("cannot take a destination's lease", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Gives up every lease this process holds, at shutdown, so a process started in its place (or
    /// another one) takes the destinations at once rather than after they expire.
    public func releaseLeases() async {
        for destination in held.keys.sorted() { await giveUpLease(destination) }
    }

    /// The queue is empty: another process may send what it queues next without waiting.
    private func giveUpLease(_ destination: String) async {
        guard let lease = held.removeValue(forKey: destination) else { return }
        do {
            try await store.releaseLease(lease)
        } catch {
            logger.warning("cannot give up a destination's lease", metadata: ["error": "\(error)"])
        }
    }

    /// The destination talked to us: forget its backoff, in every process, and send what is queued
    /// now. Called for every inbound request, so it asks the store only about a destination this
    /// process saw backing off.
    public func destinationIsUp(_ destination: String) async {
        guard retries[destination] != nil else { return }
        await clearBackoff(destination)
        await signal.signal()
    }

    /// What the admin API shows: every destination with queued EDUs or in backoff, by name.
    public func destinationStates() async throws -> [DestinationState] {
        let queued = Set(try await store.destinationsWithQueuedEDUs())
        let backoff = Dictionary(
            uniqueKeysWithValues: try await store.destinationRetries().map { ($0.destination, $0) })
        return queued.union(backoff.keys).sorted().map { destination in
            DestinationState(
                destination: destination,
                backoff: backoff[destination].map {
                    DestinationState.Backoff(
                        failureTS: $0.failureTS, retryLastTS: $0.retryLastTS, retryInterval: $0.retryInterval)
                },
                hasQueuedEDUs: queued.contains(destination))
        }
    }

    /// The admin API's `reset_connection`: forget the backoff and try at once. False when the
    /// destination is not in backoff.
    public func resetConnection(_ destination: String) async throws -> Bool {
        guard try await store.clearDestinationRetry(destination) else { return false }
        retries[destination] = nil
        metrics.backedOffDestinations.record(retries.count)
        await signal.signal()
        return true
    }

    /// The store's backoff state, read once per round.
    private func readRetries() async throws {
        retries = Dictionary(uniqueKeysWithValues: try await store.destinationRetries().map { ($0.destination, $0) })
        metrics.backedOffDestinations.record(retries.count)
    }

    /// Forgets a destination's failures, in the store when this process knows of any.
    private func clearBackoff(_ destination: String) async {
        guard retries.removeValue(forKey: destination) != nil else { return }
        metrics.backedOffDestinations.record(retries.count)
        do {
            _ = try await store.clearDestinationRetry(destination)
        } catch {
            logger.warning("cannot clear a destination's backoff", metadata: ["error": "\(error)"])
        }
    }

    /// Records one more failure and the wait before the next attempt.
    private func recordFailure(_ destination: String) async -> Duration {
        let previous = retries[destination]
        let failures = (previous?.failures ?? 0) + 1
        let delay = schedule.delay(afterFailures: failures)
        let now = clock.now()
        let retry = DestinationRetry(
            destination: destination, failureTS: previous?.failureTS ?? now, retryLastTS: now,
            retryInterval: delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000,
            failures: failures)
        retries[destination] = retry
        metrics.backedOffDestinations.record(retries.count)
        do {
            try await store.setDestinationRetry(retry)
        } catch {
            logger.warning("cannot record a destination's backoff", metadata: ["error": "\(error)"])
        }
        return delay
    }

    private func startDrain(_ destination: String) {
        guard !inFlight.contains(destination) else { return }
        if let retry = retries[destination], retry.retryAt > clock.now() { return }
        inFlight.insert(destination)
        Task { await self.drain(destination) }
    }

    /// Sends transactions to one destination, under its lease, until its queue is empty or a send
    /// fails.
    private func drain(_ destination: String) async {
        defer { inFlight.remove(destination) }
        while !Task.isCancelled {
            guard let lease = await lease(for: destination) else { return }
            let edus: [QueuedEDU]
            do {
                edus = try await store.queuedEDUs(destination: destination, limit: 100)
            } catch {
                logger.error("cannot read the outbound queue", metadata: ["error": "\(error)"])
                return
            }
            if edus.isEmpty {
                await giveUpLease(destination)
                return
            }
            guard await deliver(edus, to: destination, under: lease) else { return }
        }
    }

    /// Sends `edus` in order, splitting any part the destination refuses for its content until
    /// the refused EDU stands alone, and drops that one. Returns false after a failure that is not
    /// about the content (the destination is backed off) or when the queue cannot be updated.
    private func deliver(_ edus: [QueuedEDU], to destination: String, under lease: Lease) async -> Bool {
        // A stack of parts still to send: the first part on top, so the order is kept.
        var parts: [ArraySlice<QueuedEDU>] = [edus[...]]
        while let part = parts.popLast() {
            let outcome = TransactionOutcome(await send(part, to: destination, under: lease))
            switch outcome {
            case .delivered: metrics.transaction(destination: destination, result: "sent")
            case .refused: metrics.transaction(destination: destination, result: "refused")
            case .failed: metrics.transaction(destination: destination, result: "failed")
            }
            switch outcome {
            case .delivered:
                guard await remove(part, from: destination, under: lease) else { return false }
                await clearBackoff(destination)
            case .refused(let error) where part.count == 1:
                logger.warning(
                    "destination refused an EDU for its content; dropped",
                    metadata: [
                        "destination": "\(destination)", "edu_type": "\(part[part.startIndex].type)",
                        "error": "\(error)",
                    ])
                guard await remove(part, from: destination, under: lease) else { return false }
            case .refused:
                let middle = part.startIndex + part.count / 2
                parts.append(part[middle...])
                parts.append(part[..<middle])
            case .failed(let error):
                let delay = await recordFailure(destination)
                logger.warning(
                    "transaction failed; will retry",
                    metadata: ["destination": "\(destination)", "error": "\(error)", "retry_in": "\(delay)"])
                await signal.signal()
                return false
            }
        }
        return true
    }

    /// One transaction carrying `edus`; nil when the destination answered 200. Its ID is unique for
    /// the destination: no other holding of the lease has this fence, and the counter is this
    /// process's; the time keeps it unique even for a database started afresh.
    private func send(_ edus: ArraySlice<QueuedEDU>, to destination: String, under lease: Lease) async
        -> FederationError?
    {
        transactionCounter += 1
        let transactionID = "\(clock.now())-\(lease.fence)-\(transactionCounter)"
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

    /// Deletes sent or dropped EDUs from the queue while the lease is held; false (logged) when the
    /// lease was lost (the new holder sends them again) or the store fails.
    private func remove(_ edus: ArraySlice<QueuedEDU>, from destination: String, under lease: Lease) async -> Bool {
        do {
            if try await store.deleteQueuedEDUs(ids: edus.map(\.id), under: lease) { return true }
            logger.warning(
                "lost the lease of a destination while sending; its new holder sends the rest",
                metadata: ["destination": "\(destination)", "fence": "\(lease.fence)"])
            held[destination] = nil
            return false
        } catch {
            logger.error(
                "cannot delete sent EDUs from the outbound queue",
                metadata: ["destination": "\(destination)", "error": "\(error)"])
            return false
        }
    }
}
