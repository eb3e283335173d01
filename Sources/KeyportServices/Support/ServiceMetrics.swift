public import CoreMetrics

/// What the services count, through swift-metrics. The composition root passes the factory of its
/// Prometheus registry; without one every count goes to swift-metrics' no-op handler. Names follow
/// Prometheus style and are listed in the README.
public struct ServiceMetrics: Sendable {
    /// `keyport_keys_claimed_total{kind="one_time_key"}`: one-time keys handed out by local claims.
    let oneTimeKeysClaimed: Counter
    /// `keyport_keys_claimed_total{kind="fallback"}`: fallback keys handed out because the pool was empty.
    let fallbackKeysClaimed: Counter
    /// `keyport_to_device_delivered_total`: to-device messages handed to devices in `/sync` answers
    /// (a message a device does not acknowledge is handed out, and counted, again).
    let toDeviceDelivered: Counter
    /// `keyport_sync_waiting`: `/sync` requests waiting for something to send.
    let syncWaiting: Meter
    /// `keyport_sync_wakeups_total`: waits ended by a change (not by the timeout).
    let syncWakeups: Counter

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        oneTimeKeysClaimed = Counter(
            label: "keyport_keys_claimed_total", dimensions: [("kind", "one_time_key")], factory: factory)
        fallbackKeysClaimed = Counter(
            label: "keyport_keys_claimed_total", dimensions: [("kind", "fallback")], factory: factory)
        toDeviceDelivered = Counter(label: "keyport_to_device_delivered_total", factory: factory)
        syncWaiting = Meter(label: "keyport_sync_waiting", factory: factory)
        syncWakeups = Counter(label: "keyport_sync_wakeups_total", factory: factory)
    }
}
