public import KeyportServices
public import KeyportStore
public import Logging
import MatrixModel

/// Sends application services their transactions (issue 12): `PUT /_matrix/app/v1/transactions`
/// with the room events, and where enabled the to-device messages and device-list changes, that
/// interest each service, in stream order, each delivered once.
///
/// Nothing is queued per service: the store keeps, per service, the stream positions it was sent
/// up to (`AppServiceStateStore`). The next transaction is read from the streams after them
/// (``AppServiceTransactionBuilder``) and stored as pending, with its ID and exact body, before
/// it is sent; every attempt sends that same transaction until the service answers 200, which
/// moves the positions and clears it in one store transaction. A failure keeps it pending and
/// backs off by its ``RetrySchedule`` (``RetrySchedule/appServices``), recorded in the store so a restart or
/// another process keeps the wait. A range holding nothing of interest moves the positions with
/// nothing sent.
///
/// Each service is sent to by one process at a time, the holder of its lease
/// (`appservice:<id>`, ``SenderLeases``), taken, renewed and given up as the federation sender does
/// with destinations; the store's compare-and-set writes keep a process that lost the lease from
/// recording a second transaction over the first.
public actor AppServiceSender {
    let services: [ApplicationService]
    let store: any KeyportStorage
    let transport: any AppServiceTransactionSending
    let builder: AppServiceTransactionBuilder
    let signal: OutboundSignal
    let schedule: RetrySchedule
    let clock: ServerClock
    let logger: Logger
    let leases: SenderLeases
    /// How long a service has to answer one transaction.
    let timeout: Duration
    /// The leases this process holds, by service ID.
    var held: [String: Lease] = [:]
    var inFlight: Set<String> = []
    /// When each backing-off service may be tried again (milliseconds).
    var retryAt: [String: Int64] = [:]

    /// `services` are those with a `url`; the others are left out.
    public init(
        services: [ApplicationService], store: any KeyportStorage, transport: any AppServiceTransactionSending,
        builder: AppServiceTransactionBuilder, signal: OutboundSignal, schedule: RetrySchedule, clock: ServerClock,
        logger: Logger, leases: SenderLeases = SenderLeases(), timeout: Duration = .seconds(60)
    ) {
        self.services = services.filter { $0.url != nil }
        self.store = store
        self.transport = transport
        self.builder = builder
        self.signal = signal
        self.schedule = schedule
        self.clock = clock
        self.logger = logger
        self.leases = leases
        self.timeout = timeout
    }

    /// Runs until cancelled: starts a round for every service not already sending, then sleeps
    /// until the next signal, the next retry time or the poll interval.
    public func run() async {
        while !Task.isCancelled {
            for service in services where !inFlight.contains(service.id) {
                if let at = retryAt[service.id], at > clock.now() {
                    _ = await lease(for: service.id)
                    continue
                }
                inFlight.insert(service.id)
                Task { await self.drain(service) }
            }
            let now = clock.now()
            let ceiling = min(.seconds(5), leases.duration / 4)
            let nextRetry = retryAt.values.filter { $0 > now }.min()
            let wait = nextRetry.map { min(.milliseconds($0 - now), ceiling) } ?? ceiling
            await signal.wait(timeout: max(wait, .milliseconds(10)))
        }
    }

    /// Gives up every lease this process holds, at shutdown.
    public func releaseLeases() async {
        for serviceID in held.keys.sorted() { await giveUpLease(serviceID) }
    }

    /// Sends the service's transactions, under its lease, until nothing new is left or a send fails.
    private func drain(_ service: ApplicationService) async {
        defer { inFlight.remove(service.id) }
        do {
            while !Task.isCancelled {
                guard await lease(for: service.id) != nil else { return }
                guard try await step(service) else { return }
            }
        } catch {
            logger.error(
                "application service round failed", metadata: ["appservice": "\(service.id)", "error": "\(error)"])
        }
    }

    /// One step for the service; true when there may be more to do at once.
    private func step(_ service: ApplicationService) async throws -> Bool {
        let state: AppServiceState
        if let stored = try await store.appServiceState(serviceID: service.id) {
            state = stored
        } else {
            // A service seen for the first time is sent what happens from now on.
            state = try await store.startAppService(serviceID: service.id, at: try await builder.heads())
        }
        if let pending = state.pending {
            if state.retryAt > clock.now() {
                retryAt[service.id] = state.retryAt
                return false
            }
            return await send(pending, to: service, failures: state.failures)
        }
        retryAt[service.id] = nil
        let heads = try await builder.heads()
        guard heads != state.positions else {
            await giveUpLease(service.id)
            return false
        }
        let content = try await builder.build(for: service, from: state.positions, upTo: heads, now: clock.now())
        guard let body = content.body else {
            _ = try await store.advanceAppServicePositions(
                serviceID: service.id, from: state.positions, to: content.positions)
            return true
        }
        // Stored before it is sent: whatever happens next, this is the transaction sent again.
        guard
            let transaction = try await store.storePendingAppServiceTransaction(
                serviceID: service.id, from: state.positions, body: JSONValue.object(body).encodedString(),
                positions: content.positions, deliveredToDevice: content.deliveredToDevice)
        else { return true }
        return await send(transaction, to: service, failures: 0)
    }

    /// Sends the pending transaction; on 200 completes it, otherwise records the failure.
    private func send(_ transaction: AppServiceTransaction, to service: ApplicationService, failures: Int) async
        -> Bool
    {
        do {
            try await transport.putTransaction(
                transaction.id, body: Array(transaction.body.utf8), to: service, timeout: timeout)
        } catch {
            let failures = failures + 1
            let delay = schedule.delay(afterFailures: failures)
            let at =
                clock.now() + delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
            retryAt[service.id] = at
            logger.warning(
                "application service transaction failed; will retry",
                metadata: [
                    "appservice": "\(service.id)", "txn_id": "\(transaction.id)", "error": "\(error)",
                    "retry_in": "\(delay)",
                ])
            do {
                try await store.recordAppServiceFailure(serviceID: service.id, failures: failures, retryAt: at)
            } catch {
                logger.warning("cannot record an application service's backoff", metadata: ["error": "\(error)"])
            }
            await signal.signal()
            return false
        }
        do {
            if try await !store.completeAppServiceTransaction(serviceID: service.id, transactionID: transaction.id) {
                logger.warning(
                    "an application service transaction was completed elsewhere",
                    metadata: ["appservice": "\(service.id)", "txn_id": "\(transaction.id)"])
            }
        } catch {
            logger.error(
                "cannot record an application service's acknowledgement",
                metadata: ["appservice": "\(service.id)", "error": "\(error)"])
            return false
        }
        retryAt[service.id] = nil
        return true
    }

    /// The service's lease, taken or renewed when needed; nil when another process holds it.
    private func lease(for serviceID: String) async -> Lease? {
        let now = clock.now()
        if let lease = held[serviceID], !leases.needsRenewal(expiresAt: lease.expiresAt, now: now) { return lease }
        do {
            let lease = try await store.acquireLease(
                SenderLeases.appService(serviceID), holder: leases.holder, now: now, duration: leases.milliseconds)
            held[serviceID] = lease
            return lease
        } catch {
            logger.error("cannot take an application service's lease", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Nothing left to send: another process may send what comes next without waiting.
    private func giveUpLease(_ serviceID: String) async {
        guard let lease = held.removeValue(forKey: serviceID) else { return }
        do {
            try await store.releaseLease(lease)
        } catch {
            logger.warning("cannot give up an application service's lease", metadata: ["error": "\(error)"])
        }
    }
}
