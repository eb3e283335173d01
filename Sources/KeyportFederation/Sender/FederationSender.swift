import CoreMetrics
public import KeyportServices
public import KeyportStore
public import Logging
import MatrixModel

/// The outbound side (guarantees 2 and 3): durable queues per destination in the store, one of EDUs
/// and one of PDUs (room events, named by ID), at most one transaction in flight per destination
/// and at most ``maxConcurrentDestinations`` destinations at once, each transaction carrying ≤50
/// PDUs oldest first and ≤100 EDUs with to-device EDUs first, everything deleted only after the
/// destination answered 200, backoff between failures, and an immediate retry when the
/// destination is heard from again. Local device-list changes are fanned out to every server
/// sharing a room with the user before each round. Sending is in `FederationSender+Delivery`.
///
/// With several processes on one database, a destination is sent to by the one process holding
/// its lease (``SenderLeases``): taken before sending, renewed while it has work or backs off,
/// given up when its queues are empty, and lost to another process only when it expires. Sent PDUs
/// and EDUs are deleted only while the lease is still held, in the same transaction as the check; a
/// lost lease leaves them for the new holder to send again. Transaction IDs carry the lease's fence,
/// so they are unique across processes and restarts.
///
/// A destination that refuses a transaction for what it carries (``TransactionOutcome``) would
/// refuse it again forever and hold up everything queued behind it, so the transaction is split
/// in halves, each sent on its own, until the PDU or EDU that is refused alone is found; that one is
/// dropped with a warning and the rest keep flowing. A PDU the destination answers with an error
/// inside a 200 is logged and not sent again: the destination has judged it.
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
    /// Set when the leases are given up at shutdown: a drain still running (drains are tasks of
    /// their own) takes no new lease after that, or the next process would wait for it to expire.
    var stopping = false
    var inFlight: Set<String> = []
    /// At most this many destinations are sent to at once; the rest wait their turn in
    /// ``waiting``. Each destination being sent to holds an HTTP client, a TLS connection and a
    /// file descriptor: a device change shared with 10,000 servers held 1.6 GB when all were sent
    /// to at once (docs/benchmarks.md, fan-out), and a process with the common limit of 1,024
    /// open files could not have opened them.
    let maxConcurrentDestinations: Int
    /// Destinations with something to send, in the order they were found, while the limit is
    /// reached; `waitingNames` holds the same names for lookups.
    var waiting: [String] = []
    var waitingHead = 0
    var waitingNames: Set<String> = []
    /// The destinations in backoff as the store had them at the start of this round, plus this
    /// process's own failures and successes since (the store is the truth; this saves a read
    /// per transaction).
    var retries: [String: DestinationRetry] = [:]
    var transactionCounter = 0

    public init(
        store: any KeyportStorage, client: FederationClient, identity: ServerIdentity, keys: KeyService,
        signal: OutboundSignal, schedule: RetrySchedule, clock: ServerClock, logger: Logger,
        metrics: FederationMetrics = FederationMetrics(), leases: SenderLeases = SenderLeases(),
        maxConcurrentDestinations: Int = 512
    ) {
        self.maxConcurrentDestinations = maxConcurrentDestinations
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
                for destination in try await queuedDestinations() { startDrain(destination) }
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

    /// Destinations with EDUs or PDUs queued, by name.
    private func queuedDestinations() async throws -> [String] {
        let edus = try await store.destinationsWithQueuedEDUs()
        let pdus = try await store.destinationsWithQueuedPDUs()
        return Set(edus).union(pdus).sorted()
    }

    /// The destination's lease, taken or renewed when needed; nil when another process holds it.
    func lease(for destination: String) async -> Lease? {
        guard !stopping else { return nil }
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
        stopping = true
        for destination in held.keys.sorted() { await giveUpLease(destination) }
    }

    /// The queue is empty: another process may send what it queues next without waiting.
    func giveUpLease(_ destination: String) async {
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

    /// What the admin API shows: every destination with queued EDUs or PDUs or in backoff, by name.
    public func destinationStates() async throws -> [DestinationState] {
        let queued = Set(try await store.destinationsWithQueuedEDUs())
        let queuedPDUs = Set(try await store.destinationsWithQueuedPDUs())
        let backoff = Dictionary(
            uniqueKeysWithValues: try await store.destinationRetries().map { ($0.destination, $0) })
        return queued.union(queuedPDUs).union(backoff.keys).sorted().map { destination in
            DestinationState(
                destination: destination,
                backoff: backoff[destination].map {
                    DestinationState.Backoff(
                        failureTS: $0.failureTS, retryLastTS: $0.retryLastTS, retryInterval: $0.retryInterval)
                },
                hasQueuedEDUs: queued.contains(destination), hasQueuedPDUs: queuedPDUs.contains(destination))
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
    func clearBackoff(_ destination: String) async {
        guard retries.removeValue(forKey: destination) != nil else { return }
        metrics.backedOffDestinations.record(retries.count)
        do {
            _ = try await store.clearDestinationRetry(destination)
        } catch {
            logger.warning("cannot clear a destination's backoff", metadata: ["error": "\(error)"])
        }
    }

    /// Records one more failure and the wait before the next attempt.
    func recordFailure(_ destination: String) async -> Duration {
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
}
