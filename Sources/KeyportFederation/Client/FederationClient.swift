import AsyncHTTPClient
public import KeyportServices
public import Logging
public import MatrixModel
import NIOCore
import NIOHTTP1

/// Signed server-to-server requests: resolves the destination as the spec says, checks every
/// address of the host against the IP range lists, connects to the checked address with the
/// server name as SNI and `Host`, signs with `X-Matrix`, bounds the whole request by a timeout
/// and reads the answer within the limit the caller gives (see ``FederationResponseLimit``).
public final class FederationClient: Sendable {
    let identity: ServerIdentity
    let resolver: ServerResolver
    let connections: FederationConnections
    let logger: Logger

    /// A client with connections of its own, shut down by ``shutdown()``.
    public convenience init(
        identity: ServerIdentity, resolver: ServerResolver, settings: FederationClientSettings, logger: Logger
    ) {
        self.init(
            identity: identity, resolver: resolver, connections: FederationConnections(settings: settings),
            logger: logger)
    }

    /// A client on `connections`, shared with `.well-known` discovery; ``shutdown()`` closes them.
    public init(identity: ServerIdentity, resolver: ServerResolver, connections: FederationConnections, logger: Logger)
    {
        self.identity = identity
        self.resolver = resolver
        self.connections = connections
        self.logger = logger
    }

    /// Sends a signed request and returns the JSON object the destination answered with.
    /// `path` is the request target as sent and signed: path and query, percent-encoded. An
    /// answer longer than `maxResponseBytes` is refused (``FederationError/tooLarge(_:)``).
    public func request(
        _ destination: String, method: String, path: String, body: JSONObject? = nil, timeout: Duration = .seconds(30),
        maxResponseBytes: Int
    ) async throws(FederationError) -> JSONObject {
        guard let serverName = ServerName(destination) else { throw .unreachable("invalid server name \(destination)") }
        let target = await resolver.resolve(serverName)
        let address: String
        do throws(FederationError) {
            address = try await connections.checkedAddress(for: target.host)
        } catch {
            throw error.about(destination)
        }
        let authorization: XMatrixAuthorization
        do {
            authorization = try RequestSignature.authorization(
                method: method, uri: path, origin: identity.serverName.rawValue, destination: destination,
                content: body.map { .object($0) }, key: identity.signingKey)
        } catch {
            throw .invalidResponse("the request body is not canonical JSON")
        }
        let urlHost = target.tlsServerName ?? (address.contains(":") ? "[\(address)]" : address)
        var request = HTTPClientRequest(url: "\(connections.scheme)://\(urlHost):\(target.port)\(path)")
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Host", value: target.hostHeader)
        request.headers.add(name: "Authorization", value: authorization.headerValue)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(.object(body))))
        }
        let answer: (status: Int, headers: HTTPHeaders, json: JSONValue?)
        do throws(FederationError) {
            answer = try await connections.execute(
                request, serverName: target.tlsServerName, address: address, timeout: timeout, limit: maxResponseBytes)
        } catch {
            throw error.about(destination)
        }
        guard answer.status == 200 else { throw .status(answer.status, answer.json?.objectValue) }
        guard let object = answer.json?.objectValue else {
            throw .invalidResponse("\(destination) sent no JSON object")
        }
        return object
    }

    /// Closes every connection.
    public func shutdown() async {
        await connections.shutdown()
    }
}
