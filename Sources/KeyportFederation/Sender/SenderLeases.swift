import Foundation

/// Who this process is when it takes leases (the federation sender's per-destination leases, the
/// stale device-list retry loop), and how long a lease lasts unless renewed: how long a dead
/// process's destinations wait before another process takes them over.
public struct SenderLeases: Sendable {
    /// Unique per process start: the instance name (when configured) and a random suffix, so two
    /// processes configured alike, or one restarted, are never taken for each other.
    public let holder: String
    public let duration: Duration

    public init(instanceName: String? = nil, duration: Duration = .seconds(30)) {
        holder = "\(instanceName ?? "keyport")/\(UUID().uuidString.prefix(13).lowercased())"
        self.duration = duration
    }

    var milliseconds: Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    /// A held lease is renewed once this much of it is gone, so it never lapses while its holder
    /// is alive and working.
    func needsRenewal(expiresAt: Int64, now: Int64) -> Bool {
        expiresAt - now < milliseconds * 2 / 3
    }

    static func destination(_ destination: String) -> String { "federation-sender:\(destination)" }
    static let deviceListResync = "device-list-resync"
    static func appService(_ serviceID: String) -> String { "appservice:\(serviceID)" }
}
