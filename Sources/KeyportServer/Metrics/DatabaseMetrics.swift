import CoreMetrics
import KeyportStore

/// Database metrics through swift-metrics: `keyport_db_transactions_in_flight{kind}` (transactions
/// running or waiting for a connection: how busy the pool is) and the latency histogram
/// `keyport_db_transaction_duration_seconds{kind}`, `kind` being `read` or `write`.
struct DatabaseMetrics: Sendable {
    let readsInFlight: Meter
    let writesInFlight: Meter
    let readDuration: Timer
    let writeDuration: Timer

    init(factory: any MetricsFactory) {
        readsInFlight = Meter(
            label: "keyport_db_transactions_in_flight", dimensions: [("kind", "read")], factory: factory)
        writesInFlight = Meter(
            label: "keyport_db_transactions_in_flight", dimensions: [("kind", "write")], factory: factory)
        readDuration = Timer(
            label: "keyport_db_transaction_duration_seconds", dimensions: [("kind", "read")],
            preferredDisplayUnit: .seconds, factory: factory)
        writeDuration = Timer(
            label: "keyport_db_transaction_duration_seconds", dimensions: [("kind", "write")],
            preferredDisplayUnit: .seconds, factory: factory)
    }

    /// The observer the engines call.
    var observer: TransactionObserver {
        TransactionObserver(
            began: { kind in (kind == .read ? readsInFlight : writesInFlight).increment() },
            ended: { kind, duration in
                (kind == .read ? readsInFlight : writesInFlight).decrement()
                (kind == .read ? readDuration : writeDuration).recordNanoseconds(duration.nanoseconds)
            })
    }
}
