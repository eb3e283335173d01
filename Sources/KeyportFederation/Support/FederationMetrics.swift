public import CoreMetrics

/// What the federation side counts, through swift-metrics (names listed in the README). The
/// composition root passes its Prometheus factory; the default is swift-metrics' no-op one.
public struct FederationMetrics: Sendable {
    let factory: any MetricsFactory
    /// `keyport_device_list_resyncs_total{result="ok"}` and `{result="failed"}`.
    let resyncsSucceeded: Counter
    let resyncsFailed: Counter
    /// `keyport_remote_device_lists_stale`: remote users whose cached list is stale, as last counted.
    let staleRemoteLists: Gauge
    /// `keyport_federation_destinations_backed_off`: destinations the sender is leaving alone.
    let backedOffDestinations: Gauge

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
        resyncsSucceeded = Counter(
            label: "keyport_device_list_resyncs_total", dimensions: [("result", "ok")], factory: factory)
        resyncsFailed = Counter(
            label: "keyport_device_list_resyncs_total", dimensions: [("result", "failed")], factory: factory)
        staleRemoteLists = Gauge(label: "keyport_remote_device_lists_stale", factory: factory)
        backedOffDestinations = Gauge(label: "keyport_federation_destinations_backed_off", factory: factory)
    }

    /// `keyport_federation_transactions_total{destination, result}`: `sent` (answered 200),
    /// `refused` (a 4xx about the content: split, the refused PDU or EDU dropped), `failed` (backed off).
    func transaction(destination: String, result: String) {
        Counter(
            label: "keyport_federation_transactions_total",
            dimensions: [("destination", destination), ("result", result)], factory: factory
        ).increment()
    }
}
