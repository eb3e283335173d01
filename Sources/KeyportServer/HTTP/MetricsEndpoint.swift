import Foundation
import Prometheus

/// `GET /metrics` on the listeners configured for it: the Prometheus text format of the server's
/// registry, with the process gauges (resident memory, open file descriptors) read at each scrape.
struct MetricsEndpoint: Sendable {
    let registry: PrometheusCollectorRegistry
    /// Reads what the store knows (queue depths) before each scrape.
    let refresh: @Sendable () async -> Void
    private let residentMemory: Gauge
    private let openFileDescriptors: Gauge

    init(registry: PrometheusCollectorRegistry, refresh: @escaping @Sendable () async -> Void = {}) {
        self.registry = registry
        self.refresh = refresh
        residentMemory = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "keyport", subsystem: "process", metricName: "resident_memory", unitName: "bytes",
                helpText: "Resident memory of the process, in bytes."))
        openFileDescriptors = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "keyport", subsystem: "process", metricName: "open", unitName: "fds",
                helpText: "File descriptors the process has open."))
    }

    /// The scrape's body.
    func render() async -> [UInt8] {
        await refresh()
        if let bytes = Self.residentBytes() { residentMemory.set(Double(bytes)) }
        if let count = Self.openFileDescriptorCount() { openFileDescriptors.set(Double(count)) }
        return registry.emitToBuffer()
    }

    /// Resident set size from `/proc/self/statm` (pages × page size); nil where there is no procfs.
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Entries of `/proc/self/fd`, less the one the listing itself opens; nil where there is no procfs.
    static func openFileDescriptorCount() -> Int? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return nil }
        return max(entries.count - 1, 0)
    }
}
