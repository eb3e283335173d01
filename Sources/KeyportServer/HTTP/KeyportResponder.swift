import Foundation
public import Hummingbird
import KeyportFederation
import KeyportServices
import Logging
import MatrixModel
import NIOCore

/// The one generic extractor every request goes through: CORS, route lookup, body limit, JSON
/// parsing, access-token authentication, the handler, and the mapping of every failure to a Matrix
/// error. Handlers never see raw HTTP and never produce a 500 by accident.
public struct KeyportResponder: HTTPResponder {
    public typealias Context = KeyportRequestContext

    let router: MatrixRouter
    let accounts: AccountService
    let maxRequestSize: Int
    let logger: Logger
    let federation: FederationAuthenticator?
    /// Told of every authenticated origin: a server that talks to us is up.
    let originSeen: @Sendable (String) async -> Void
    /// Whether this listener is behind a reverse proxy whose `X-Forwarded-For` names the client
    /// (`x_forwarded` in the listener's configuration). Never trusted elsewhere: a client could
    /// write any address there.
    var trustsForwardedFor = false
    /// Request counts and latencies by route template, method and status.
    var metrics = HTTPMetrics()
    /// `/metrics`, on listeners configured to serve it.
    var metricsEndpoint: MetricsEndpoint?
    /// False on a `type: metrics` listener: it answers `/metrics` and `/health` and nothing else.
    var servesMatrix = true
    /// `GET /health`: whether the database answers. Every listener serves it, as Synapse does.
    var healthCheck: @Sendable () async -> Bool = { true }
    /// The configured application services, whose `as_token`s application-service routes take.
    var appServices = ApplicationServiceRegistry()

    public init(
        router: MatrixRouter, accounts: AccountService, maxRequestSize: Int, logger: Logger,
        federation: FederationAuthenticator? = nil, originSeen: @escaping @Sendable (String) async -> Void = { _ in }
    ) {
        self.router = router
        self.accounts = accounts
        self.maxRequestSize = maxRequestSize
        self.logger = logger
        self.federation = federation
        self.originSeen = originSeen
    }

    /// Headers the spec asks every client-server response to carry, so browsers can call us.
    static let corsHeaders: HTTPFields = [
        .accessControlAllowOrigin: "*",
        .accessControlAllowMethods: "GET, HEAD, POST, PUT, DELETE, OPTIONS",
        .accessControlAllowHeaders: "X-Requested-With, Content-Type, Authorization, Date",
    ]

    public func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        if path == "/health", request.method == .get || request.method == .head {
            let healthy = await healthCheck()
            return Response(
                status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: healthy ? "OK" : "Database unreachable")))
        }
        if let metricsEndpoint, path == "/metrics", request.method == .get {
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: await metricsEndpoint.render())))
        }
        let status: Int
        let body: JSONValue
        var route = HTTPMetrics.unmatchedRoute
        if !servesMatrix {
            let notHere = MatrixError.unrecognized()
            (status, body) = (notHere.status, notHere.body)
        } else if request.method == .options {
            (status, body) = (200, .object([:]))
        } else {
            do {
                let response = try await handle(request, path: path, context: context, route: &route)
                (status, body) = (response.status, response.body)
            } catch let error as MatrixError {
                (status, body) = (error.status, error.body)
            } catch {
                logger.error("unhandled error", metadata: ["path": "\(path)", "error": "\(error)"])
                let failure = MatrixError.unknown()
                (status, body) = (failure.status, failure.body)
            }
        }
        let elapsed = ContinuousClock.now - start
        metrics.record(route: route, method: request.method.rawValue, status: status, duration: elapsed)
        let milliseconds = Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000
        logger.info("\(request.method) \(path) \(status) \(String(format: "%.1f", milliseconds))ms")
        var headers = Self.corsHeaders
        headers[.contentType] = "application/json"
        let bytes = JSONWriter.bytes(body)
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    private func handle(
        _ request: Request, path: String, context: Context, route template: inout String
    ) async throws -> MatrixResponse {
        let method = request.method.rawValue
        guard case .found(let route, let parameters) = router.match(method: method, path: path) else {
            if case .methodNotAllowed = router.match(method: method, path: path) {
                throw MatrixError.unrecognized("Method \(method) is not allowed here", status: 405)
            }
            throw MatrixError.unrecognized()
        }
        template = route.template
        let queryValues = Self.parseQueryValues(request.uri.query)
        let query = queryValues.compactMapValues(\.first)
        let clientAddress = clientAddress(request, context: context)
        var matrixRequest = MatrixRequest(
            method: method, path: path, parameters: parameters, query: query, queryValues: queryValues, body: nil,
            session: nil, remoteAddress: clientAddress)
        if route.access == .accessToken {
            guard let token = Self.accessToken(request, query: query) else { throw MatrixError.missingToken() }
            if let service = appServices.service(asToken: token) {
                // Identity assertion: the service acts as its sender or as `?user_id=`.
                matrixRequest.session = try await accounts.authenticate(
                    appService: service, userID: query["user_id"],
                    deviceID: query["device_id"] ?? query["org.matrix.msc3202.device_id"])
                matrixRequest.appService = service
            } else {
                matrixRequest.session = try await accounts.authenticate(
                    accessToken: token, remoteAddress: clientAddress)
            }
            matrixRequest.accessToken = token
        }
        if route.access == .open, let token = Self.accessToken(request, query: query) {
            // An open route may be called by an application service as itself (`/register` with
            // `m.login.application_service`); the token is checked by the route that uses it.
            matrixRequest.accessToken = token
            matrixRequest.appService = appServices.service(asToken: token)
        }
        if route.access == .appService {
            guard let token = Self.accessToken(request, query: query) else { throw MatrixError.missingToken() }
            guard let service = appServices.service(asToken: token) else { throw MatrixError.unknownToken() }
            matrixRequest.appService = service
        }
        matrixRequest.body = try await readBody(request)
        if route.access == .federation {
            guard let federation else { throw MatrixError.unrecognized() }
            let origin = try await federation.authenticate(
                method: method, uri: request.uri.description, authorization: request.headers[.authorization],
                body: matrixRequest.body)
            matrixRequest.origin = origin
            await originSeen(origin)
        }
        return try await route.handler(matrixRequest)
    }

    /// Collects and parses the body: 413 `M_TOO_LARGE` past the limit, 400 `M_NOT_JSON` for
    /// text that is not JSON, 400 `M_BAD_JSON` for JSON that is not an object or breaks a limit.
    private func readBody(_ request: Request) async throws -> JSONObject? {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxRequestSize {
            throw MatrixError.tooLarge()
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxRequestSize)
        } catch is NIOTooManyBytesError {
            throw MatrixError.tooLarge()
        }
        guard buffer.readableBytes > 0 else { return nil }
        let bytes = buffer.readableBytesView
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        let value: JSONValue
        do {
            value = try JSONParser(options: .init(maxDepth: 64, maxBytes: maxRequestSize, allowFloats: true)).parse(
                bytes)
        } catch {
            switch error {
            case .unexpected, .invalidString: throw MatrixError.notJSON("Content not JSON: \(error)")
            case .tooLarge: throw MatrixError.tooLarge()
            default: throw MatrixError.badJSON(error.description)
            }
        }
        guard let object = value.objectValue else { throw MatrixError.badJSON("The body must be a JSON object") }
        return object
    }

    /// The client's address: the peer of the connection, or on an `x_forwarded` listener the first
    /// address of `X-Forwarded-For` (as Synapse takes it) when the proxy sent one.
    func clientAddress(_ request: Request, context: Context) -> String? {
        guard trustsForwardedFor,
            let header = request.headers.first(where: { $0.name.canonicalName == "x-forwarded-for" })?.value
        else { return context.remoteAddress }
        let first = header.split(separator: ",", maxSplits: 1).first.map(String.init) ?? ""
        let address = first.trimmingCharacters(in: CharacterSet.whitespaces)
        return address.isEmpty ? context.remoteAddress : address
    }

    static func accessToken(_ request: Request, query: [String: String]) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return String(parts[1]).trimmingCharacters(in: .whitespaces)
            }
            return nil
        }
        return query["access_token"]
    }

    /// Every value of each query parameter, in the order given (`?v=a&v=b` is `["v": ["a", "b"]]`).
    static func parseQueryValues(_ query: String?) -> [String: [String]] {
        guard let query, !query.isEmpty else { return [:] }
        var result: [String: [String]] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncodingKeepingInvalid()
            let value =
                parts.count > 1
                ? String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncodingKeepingInvalid() : ""
            result[key, default: []].append(value)
        }
        return result
    }
}
