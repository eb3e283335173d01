import Foundation
public import KeyportStore
import Logging
import PostgresNIO

/// The change bus on PostgreSQL: `pg_notify` on one channel after commit, batched, and one
/// dedicated `LISTEN` connection per process (outside the pool, so a busy pool never delays a
/// wake-up). Payloads carry the publishing process's random origin, so a process skips its own.
public actor PostgresChangeBus: ChangeBus {
    static let channel = "keyport_changes"
    /// PostgreSQL refuses payloads of 8,000 bytes or more; announcements are cut below that.
    static let maxPayloadBytes = 7_000

    private let client: PostgresClient
    private let listenConfiguration: PostgresConnection.Configuration
    private let logger: Logger
    /// Tells this process's own announcements apart from the others'.
    let origin = UUID().uuidString
    private var pendingUsers: Set<String> = []
    private var pendingOutbound = false
    private var flushing = false

    init(client: PostgresClient, settings: PostgresStore.Settings, logger: Logger) {
        self.client = client
        self.logger = logger
        switch settings.endpoint {
        case .tcp(let host, let port):
            listenConfiguration = .init(
                host: host, port: port, username: settings.user, password: settings.password,
                database: settings.database, tls: .disable)
        case .unixSocket(let path):
            listenConfiguration = .init(
                unixSocketPath: path, username: settings.user, password: settings.password,
                database: settings.database)
        }
    }

    /// Adds to the next batch. While a batch is being sent, later announcements gather into the
    /// following one, so a burst of writes costs few notifications.
    public func publish(_ announcement: ChangeAnnouncement) {
        pendingUsers.formUnion(announcement.users)
        pendingOutbound = pendingOutbound || announcement.outbound
        guard !flushing, !pendingUsers.isEmpty || pendingOutbound else { return }
        flushing = true
        Task { await flush() }
    }

    private func flush() async {
        while !pendingUsers.isEmpty || pendingOutbound {
            let batch = ChangeAnnouncement(users: pendingUsers.sorted(), outbound: pendingOutbound)
            pendingUsers = []
            pendingOutbound = false
            for payload in Self.payloads(batch, origin: origin) {
                do {
                    _ = try await client.query("SELECT pg_notify(\(Self.channel), \(payload))", logger: logger)
                        .collect()
                } catch {
                    // Waiters look again on their own; a lost wake-up only delays them.
                    logger.warning(
                        "cannot notify other processes", metadata: ["error": "\(String(reflecting: error))"])
                }
            }
        }
        flushing = false
    }

    /// The announcement as one or more payloads below the size limit.
    static func payloads(_ announcement: ChangeAnnouncement, origin: String) -> [String] {
        var payloads: [String] = []
        var users: [String] = []
        var size = 0
        func cut() {
            payloads.append(WirePayload(origin: origin, users: users, outbound: announcement.outbound).encoded())
            users = []
            size = 0
        }
        for user in announcement.users {
            // Quotes, a comma and JSON escapes: a generous bound on what the name adds.
            let cost = user.utf8.count * 2 + 3
            if size + cost > maxPayloadBytes - 200, !users.isEmpty { cut() }
            users.append(user)
            size += cost
        }
        if !users.isEmpty || payloads.isEmpty { cut() }
        return payloads
    }

    /// Listens until cancelled; after a failure connects again with a growing pause (up to 5 s)
    /// and reports `.resumed`, since announcements sent meanwhile are lost.
    public nonisolated func subscribe(_ deliver: @escaping @Sendable (ChangeBusEvent) async -> Void) async {
        var pause = Duration.milliseconds(100)
        var connectionID = 0
        while !Task.isCancelled {
            connectionID += 1
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: listenConfiguration, id: connectionID, logger: logger)
                do {
                    try await connection.listen(on: Self.channel) { notifications in
                        await deliver(.resumed)
                        pause = .milliseconds(100)
                        for try await notification in notifications {
                            guard let wire = WirePayload(decoding: notification.payload), wire.origin != origin
                            else { continue }
                            await deliver(.change(ChangeAnnouncement(users: wire.users, outbound: wire.outbound)))
                        }
                    }
                } catch {
                    try? await connection.close()
                    throw error
                }
                try? await connection.close()
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "the change listener lost its database connection; reconnecting",
                    metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(5))
        }
    }
}

/// The JSON of one notification: short keys, since payloads are limited.
struct WirePayload: Codable, Equatable {
    var origin: String
    var users: [String]
    var outbound: Bool

    enum CodingKeys: String, CodingKey {
        case origin = "o"
        case users = "u"
        case outbound = "q"
    }

    init(origin: String, users: [String], outbound: Bool) {
        self.origin = origin
        self.users = users
        self.outbound = outbound
    }

    init?(decoding payload: String) {
        guard let value = try? JSONDecoder().decode(WirePayload.self, from: Data(payload.utf8)) else { return nil }
        self = value
    }

    func encoded() -> String {
        // Encoding strings, arrays and a Bool cannot fail.
        String(decoding: (try? JSONEncoder().encode(self)) ?? Data(), as: UTF8.self)
    }
}
