import Foundation
import Hummingbird
import HummingbirdTesting
import KeyportFederation
import KeyportServer
import KeyportServices
import Logging
import MatrixModel

/// Runs a real Keyport on loopback (port 0) over a fresh data directory and hands a client to
/// the test body. Rate limits are raised and password hashing made cheap unless a test says not.
enum TestServer {
    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "keyport-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func config(dataDirectory: String, serverName: String = "test.local") -> KeyportConfig {
        var config = KeyportConfig.development(dataDirectory: dataDirectory)
        config.serverName = ServerName(serverName)!
        config.listeners = [.init(port: 0)]
        config.passwordRounds = 1000
        config.loginRateLimit = RateLimit(perSecond: 1000, burst: 1000)
        config.failedLoginRateLimit = RateLimit(perSecond: 1000, burst: 1000)
        config.registrationRateLimit = RateLimit(perSecond: 1000, burst: 1000)
        config.keyClaimRateLimit = RateLimit(perSecond: 10000, burst: 10000)
        return config
    }

    /// Starts a server with `config` (default: a fresh one), runs `body`, stops the server.
    static func run(
        config: KeyportConfig? = nil, resolver: ServerResolver? = nil,
        _ body: @Sendable (MatrixClient) async throws -> Void
    ) async throws {
        let config = config ?? Self.config(dataDirectory: temporaryDirectory())
        var logger = Logger(label: "keyport-test")
        logger.logLevel = .warning
        let app = try KeyportApplication.build(config: config, logger: logger, resolver: resolver)
        try await app.test(.live) { client in
            try await body(MatrixClient(client: client, serverName: config.serverName.rawValue))
        }
    }
}
