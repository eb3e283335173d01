import AsyncHTTPClient
import Foundation
import Hummingbird
import KeyportFederation
import KeyportServer
import KeyportServices
import KeyportTestSupport
import Logging
import MatrixModel
import MatrixSigning
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization
import Testing

/// A Keyport that federates over TLS on loopback: server name `localhost:<tlsPort>`, a plain
/// listener on port 0 for the test's client, a certificate from the test run's own CA (made in
/// Swift, see ``FederationCertificates``) with that CA trusted through `federation_custom_ca_list`,
/// and short retry intervals.
struct FederatingServer: Sendable {
    let dataDirectory: String
    let tlsPort: Int
    let serverName: String
    /// Server discovery for this server's outbound requests; nil for the real one.
    let resolver: ServerResolver?
    let certificates: TestCertificates
    /// `registration_shared_secret`, for tests that register an admin (AdminAPITests.registerAdmin).
    var registrationSharedSecret: String? = nil

    /// A server named `localhost:<tlsPort>`, or `name` when given (e.g. a name found through SRV).
    init(name: String? = nil, tlsPort: Int? = nil, resolver: ServerResolver? = nil) throws {
        certificates = try FederationCertificates.shared()
        dataDirectory = TestServer.temporaryDirectory()
        let port = try tlsPort ?? FreePort.next()
        self.tlsPort = port
        serverName = name ?? "localhost:\(port)"
        self.resolver = resolver
    }

    var config: KeyportConfig {
        var config = TestServer.config(dataDirectory: dataDirectory, serverName: serverName)
        config.listeners = [.init(port: 0), .init(port: tlsPort, tls: true)]
        config.tlsCertificatePath = certificates.certificateChainPath
        config.tlsPrivateKeyPath = certificates.privateKeyPath
        config.federationCustomCAList = [certificates.authorityPath]
        config.ipRangeBlacklist = []
        config.federationRetry = RetrySchedule(minimum: .milliseconds(200), multiplier: 1, maximum: .milliseconds(500))
        config.registrationSharedSecret = registrationSharedSecret
        return config
    }

    /// Runs the server (on its persistent data directory) for the duration of `body`.
    /// The TLS listener runs as a service of the application and may start a moment after the
    /// client listener, so the body starts only once the TLS port accepts connections.
    func run(_ body: @Sendable (MatrixClient) async throws -> Void) async throws {
        try await TestServer.run(config: config, resolver: resolver) { client in
            let deadline = ContinuousClock.now + .seconds(15)
            while !FreePort.accepts(tlsPort) {
                try #require(ContinuousClock.now < deadline, "the TLS listener on \(tlsPort) never started")
                try await Task.sleep(for: .milliseconds(50))
            }
            try await body(client)
        }
    }

    /// The server's signing key, as a peer or a forger would use it.
    func signingKey() throws -> SigningKey {
        try SigningKeyFile.parse(String(contentsOfFile: config.signingKeyPath, encoding: .utf8))[0]
    }

    /// The SQLite database path, for tests that seed room memberships through the store.
    var databasePath: String { "\(dataDirectory)/keyport.db" }
}

/// A free TCP port on loopback for a server whose name must carry its port. Ports come from
/// 10000–19999: below the kernel's ephemeral range (so no outgoing connection or port-0 listener
/// takes one between our check and the server's bind) and below the interop dnsmasq's range; each
/// is handed out once per test run.
enum FreePort {
    private static let given = Mutex<Set<Int>>([])

    static func next() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 10_000...19_999)
            let fresh = given.withLock { ports in ports.insert(port).inserted }
            if fresh, canBind(port) { return port }
        }
        Issue.record("no free loopback port in 10000-19999")
        throw CancellationError()
    }

    /// True if something listens on the loopback port.
    static func accepts(_ port: Int) -> Bool {
        onLoopback(port) { fd, address, length in connect(fd, address, length) == 0 }
    }

    private static func canBind(_ port: Int) -> Bool {
        onLoopback(port) { fd, address, length in bind(fd, address, length) == 0 }
    }

    /// Calls `body` with a new TCP socket and the address 127.0.0.1:`port`, then closes the socket.
    private static func onLoopback(
        _ port: Int, _ body: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Bool
    ) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                body(fd, raw, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}

/// One CA and one certificate for `localhost` and `srv.test`, made once per test run. No IP address
/// is named: NIOSSL accepts an IP entry for any name on that address, and the tests should see a
/// peer's name checked.
enum FederationCertificates {
    private static let made = Result {
        try TestCertificates.make(in: TestServer.temporaryDirectory(), dnsNames: ["localhost", "srv.test"])
    }

    static func shared() throws -> TestCertificates { try made.get() }
}

/// Sends federation requests the way another server would, signed (or forged) by the test.
struct FederationProbe: Sendable {
    let client: HTTPClient

    /// Runs `body` with a probe and shuts its client down afterwards, also when `body` throws.
    static func with(_ body: (FederationProbe) async throws -> Void) async throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        try await withHTTPClient(configuration: .init(tlsConfiguration: tls)) { client in
            try await body(FederationProbe(client: client))
        }
    }

    /// Sends `method path` to `port` with the given Authorization header value (if any).
    func send(
        port: Int, method: String, path: String, body: JSONObject?, authorization: String?
    ) async throws -> (status: Int, body: JSONValue) {
        var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
        request.method = .init(rawValue: method)
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(.object(body))))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        let json =
            bytes.readableBytes == 0 ? JSONValue.null : try JSONParser(options: .lenient).parse(bytes.readableBytesView)
        return (Int(response.status.code), json)
    }

    /// Sends a request signed as `origin` with `key` for `destination` (defaults: correct values).
    func signed(
        to server: FederatingServer, from origin: String, key: SigningKey, method: String, path: String,
        body: JSONObject? = nil, destination: String? = nil
    ) async throws -> (status: Int, body: JSONValue) {
        let authorization = try RequestSignature.authorization(
            method: method, uri: path, origin: origin, destination: destination ?? server.serverName,
            content: body.map { .object($0) }, key: key)
        return try await send(
            port: server.tlsPort, method: method, path: path, body: body, authorization: authorization.headerValue)
    }
}

/// Polls until `condition` holds or `timeout` passes.
func eventually(
    timeout: Duration = .seconds(20), _ message: String, _ condition: @Sendable () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out: \(message)")
    throw CancellationError()
}
