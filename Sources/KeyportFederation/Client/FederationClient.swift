import AsyncHTTPClient
public import KeyportServices
public import Logging
public import MatrixModel
import NIOCore
import NIOHTTP1
public import NIOSSL

/// How outbound federation connections are made (Synapse's names in the configuration).
public struct FederationClientSettings: Sendable {
    /// `federation_verify_certificates`.
    public var verifyCertificates: Bool
    /// `federation_custom_ca_list`: PEM files of extra trusted roots.
    public var customCAFiles: [String]
    /// `ip_range_blacklist` and `ip_range_whitelist`: the whitelist wins.
    public var blacklist: IPRangeSet
    public var whitelist: IPRangeSet
    public var connectTimeout: Duration

    public init(
        verifyCertificates: Bool = true, customCAFiles: [String] = [], blacklist: IPRangeSet, whitelist: IPRangeSet,
        connectTimeout: Duration = .seconds(10)
    ) {
        self.verifyCertificates = verifyCertificates
        self.customCAFiles = customCAFiles
        self.blacklist = blacklist
        self.whitelist = whitelist
        self.connectTimeout = connectTimeout
    }
}

extension FederationClientSettings {
    /// The client TLS settings: system roots plus `federation_custom_ca_list`, or no verification.
    public var tlsConfiguration: TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        if verifyCertificates {
            tls.additionalTrustRoots = customCAFiles.map { .file($0) }
        } else {
            tls.certificateVerification = .none
        }
        return tls
    }

    /// The first address of `host` that the IP range lists allow.
    func allowedAddress(for host: String) async throws(FederationError) -> String {
        let addresses: [String]
        do {
            addresses = try await HostAddressLookup.addresses(of: host)
        } catch {
            throw .unreachable("\(error)")
        }
        for address in addresses where whitelist.contains(address) || !blacklist.contains(address) {
            return address
        }
        throw .blocked("every address of \(host) is in ip_range_blacklist")
    }
}

/// Signed server-to-server requests: resolves the destination as the spec says, refuses
/// addresses in the blocked ranges, connects to the checked address with the server name as SNI
/// and `Host`, signs with `X-Matrix`, and bounds the whole request by a timeout.
public final class FederationClient: Sendable {
    let identity: ServerIdentity
    let resolver: ServerResolver
    let settings: FederationClientSettings
    let logger: Logger
    let clients: HTTPClientCache
    /// The largest response body accepted.
    static let maxResponseBytes = 32 * 1024 * 1024

    public init(identity: ServerIdentity, resolver: ServerResolver, settings: FederationClientSettings, logger: Logger)
    {
        self.identity = identity
        self.resolver = resolver
        self.settings = settings
        self.logger = logger
        self.clients = HTTPClientCache(tls: settings.tlsConfiguration, connectTimeout: settings.connectTimeout)
    }

    /// Sends a signed request and returns the JSON object the destination answered with.
    /// `path` is the request target as sent and signed: path and query, percent-encoded.
    public func request(
        _ destination: String, method: String, path: String, body: JSONObject? = nil, timeout: Duration = .seconds(30)
    ) async throws(FederationError) -> JSONObject {
        guard let serverName = ServerName(destination) else { throw .unreachable("invalid server name \(destination)") }
        let target = await resolver.resolve(serverName)
        let address = try await allowedAddress(for: target.host)
        let authorization: XMatrixAuthorization
        do {
            authorization = try RequestSignature.authorization(
                method: method, uri: path, origin: identity.serverName.rawValue, destination: destination,
                content: body.map { .object($0) }, key: identity.signingKey)
        } catch {
            throw .invalidResponse("the request body is not canonical JSON")
        }
        let urlHost = target.tlsServerName ?? (address.contains(":") ? "[\(address)]" : address)
        var request = HTTPClientRequest(url: "https://\(urlHost):\(target.port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Host", value: target.hostHeader)
        request.headers.add(name: "Authorization", value: authorization.headerValue)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(.object(body))))
        }
        guard let client = await clients.client(serverName: target.tlsServerName, address: address) else {
            throw .unreachable("\(destination): this server is shutting down")
        }
        let bytes: ByteBuffer
        let status: Int
        do {
            let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.nanoseconds)))
            status = Int(response.status.code)
            bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            // AsyncHTTPClient keeps its own, growing reconnect delay per client; drop the client so
            // that our retry schedule alone decides when the next connection is tried.
            await clients.discard(serverName: target.tlsServerName, address: address)
            throw .unreachable("\(destination): \(error)")
        }
        let parsed = try? JSONParser(options: .init(maxDepth: 64, maxBytes: Self.maxResponseBytes, allowFloats: true))
            .parse(bytes.readableBytesView)
        guard status == 200 else { throw .status(status, parsed?.objectValue) }
        guard let object = parsed?.objectValue else { throw .invalidResponse("\(destination) sent no JSON object") }
        return object
    }

    /// The first address of `host` that the IP range lists allow.
    func allowedAddress(for host: String) async throws(FederationError) -> String {
        try await settings.allowedAddress(for: host)
    }

    /// Closes every connection.
    public func shutdown() async {
        await clients.shutdown()
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}

/// One HTTP client per (server name, address): AsyncHTTPClient takes the SNI name from the URL
/// and the address from `dnsOverride`, which is per client.
actor HTTPClientCache {
    let tls: TLSConfiguration
    let connectTimeout: Duration
    var clients: [String: HTTPClient] = [:]
    /// Set by `shutdown()`: no client is made after it, so none is left to deinit unshut.
    var isShutDown = false

    init(tls: TLSConfiguration, connectTimeout: Duration) {
        self.tls = tls
        self.connectTimeout = connectTimeout
    }

    /// The client for one address, made on first use; nil once shut down.
    func client(serverName: String?, address: String) -> HTTPClient? {
        guard !isShutDown else { return nil }
        let key = "\(serverName ?? "")|\(address)"
        if let client = clients[key] { return client }
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls, redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(connectTimeout.nanoseconds)))
        if let serverName { configuration.dnsOverride = [serverName: address] }
        configuration.decompression = .disabled
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        clients[key] = client
        return client
    }

    func discard(serverName: String?, address: String) async {
        guard let client = clients.removeValue(forKey: "\(serverName ?? "")|\(address)") else { return }
        try? await client.shutdown()
    }

    /// Shuts every client down. Each `await` lets other calls in (actor reentrancy), so the map is
    /// drained one client at a time and no new client is made meanwhile.
    func shutdown() async {
        isShutDown = true
        while let (key, client) = clients.first {
            clients.removeValue(forKey: key)
            try? await client.shutdown()
        }
    }
}
