import CoreMetrics

/// Request metrics through swift-metrics: `keyport_http_requests_total{route, method, status}` and
/// the latency histogram `keyport_http_request_duration_seconds{route, method}`. `route` is the
/// path template (`/_matrix/client/v3/keys/claim`, `/_matrix/client/v3/devices/{deviceId}`), never
/// the raw path, so a client cannot create label values at will.
struct HTTPMetrics: Sendable {
    /// The `route` of requests no route matched (404, 405) and of `OPTIONS` preflights.
    static let unmatchedRoute = "unmatched"

    /// Nil when no listener serves metrics: then a request costs nothing here (a metric object is
    /// made per label set, which is not free on the hot path).
    let factory: (any MetricsFactory)?

    init(factory: (any MetricsFactory)? = nil) {
        self.factory = factory
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        guard let factory else { return }
        Counter(
            label: "keyport_http_requests_total",
            dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory
        ).increment()
        Timer(
            label: "keyport_http_request_duration_seconds", dimensions: [("route", route), ("method", method)],
            preferredDisplayUnit: .seconds, factory: factory
        ).recordNanoseconds(duration.nanoseconds)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
