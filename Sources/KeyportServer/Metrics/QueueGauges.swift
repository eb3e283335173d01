import CoreMetrics
import KeyportStore
import Synchronization

/// Queue depths read from the store at each scrape: `keyport_to_device_pending` (to-device
/// messages not yet acknowledged) and `keyport_federation_queued_edus{destination}`. A destination
/// whose queue emptied is reported as 0 rather than left at its last value.
final class QueueGauges: Sendable {
    let store: any KeyportStorage
    let factory: any MetricsFactory
    private let pending: Gauge
    private let reported = Mutex<Set<String>>([])

    init(store: any KeyportStorage, factory: any MetricsFactory) {
        self.store = store
        self.factory = factory
        pending = Gauge(label: "keyport_to_device_pending", factory: factory)
    }

    /// Reads the counts; a store that cannot answer leaves the gauges as they were (`/health`
    /// says why).
    func refresh() async {
        if let count = try? await store.pendingToDeviceCount() { pending.record(count) }
        guard let counts = try? await store.queuedEDUCounts() else { return }
        let destinations = reported.withLock { seen in
            seen.formUnion(counts.keys)
            return seen
        }
        for destination in destinations {
            Gauge(label: "keyport_federation_queued_edus", dimensions: [("destination", destination)], factory: factory)
                .record(counts[destination] ?? 0)
        }
    }
}
