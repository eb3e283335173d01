import CoreMetrics
import KeyportStore
import Synchronization

/// Queue depths read from the store at each scrape: `keyport_to_device_pending` (to-device
/// messages not yet acknowledged), `keyport_federation_queued_edus{destination}` and
/// `keyport_federation_queued_pdus{destination}`. A destination whose queue emptied is reported as
/// 0 rather than left at its last value.
final class QueueGauges: Sendable {
    let store: any KeyportStorage
    let factory: any MetricsFactory
    private let pending: Gauge
    /// The destinations each gauge has reported, by label.
    private let reported = Mutex<[String: Set<String>]>([:])

    init(store: any KeyportStorage, factory: any MetricsFactory) {
        self.store = store
        self.factory = factory
        pending = Gauge(label: "keyport_to_device_pending", factory: factory)
    }

    /// Reads the counts; a store that cannot answer leaves the gauges as they were (`/health`
    /// says why).
    func refresh() async {
        if let count = try? await store.pendingToDeviceCount() { pending.record(count) }
        if let counts = try? await store.queuedEDUCounts() { record(counts, as: "keyport_federation_queued_edus") }
        if let counts = try? await store.queuedPDUCounts() { record(counts, as: "keyport_federation_queued_pdus") }
    }

    /// One gauge per destination, including those reported before whose queue is empty now.
    private func record(_ counts: [String: Int], as label: String) {
        let destinations = reported.withLock { seen in
            seen[label, default: []].formUnion(counts.keys)
            return seen[label] ?? []
        }
        for destination in destinations {
            Gauge(label: label, dimensions: [("destination", destination)], factory: factory)
                .record(counts[destination] ?? 0)
        }
    }
}
