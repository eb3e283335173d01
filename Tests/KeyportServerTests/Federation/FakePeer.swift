import Hummingbird
import HummingbirdTesting
import KeyportServices
import KeyportTestSupport
import Logging
import MatrixModel
import MatrixSigning
import NIOCore
import Testing

@testable import KeyportFederation

/// A stand-in for another homeserver: plain HTTP on 127.0.0.1, every request answered by
/// `handler` from its method, path and JSON body. Paired with ``FakePeer/client(_:)``, a
/// federation client that speaks plain HTTP and may reach loopback, so the peer's server name is
/// `127.0.0.1:<port>`.
enum FakePeer {
    struct Request: Sendable {
        var method: String
        var path: String
        var body: JSONObject?
        /// The `Authorization` header, as sent.
        var authorization: String? = nil
        /// The body's bytes exactly as sent.
        var bytes: [UInt8] = []
    }

    typealias Handler = @Sendable (Request) async -> (status: Int, body: JSONValue)

    /// Runs the peer for the duration of `body`, which gets the peer's server name.
    static func run(_ handler: @escaping Handler, _ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        for method in [HTTPRequest.Method.get, .put, .post] {
            router.on("**", method: method) { request, _ -> Response in
                let bytes = try await request.body.collect(upTo: 16 << 20)
                let json = try? JSONParser(options: .lenient).parse(bytes.readableBytesView)
                let answer = await handler(
                    Request(
                        method: method.rawValue, path: request.uri.path, body: json?.objectValue,
                        authorization: request.headers[.authorization], bytes: Array(bytes.readableBytesView)))
                return Response(
                    status: .init(code: answer.status), headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(answer.body))))
            }
        }
        var logger = Logger(label: "fake-peer")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in
            try await body("127.0.0.1:\(try #require(client.port))")
        }
    }

    /// Runs `body` with a federation client for `identity` that speaks plain HTTP and blocks only
    /// what is always blocked, and shuts the client down on every path.
    static func withClient<Result>(
        _ identity: ServerIdentity, _ body: (FederationClient) async throws -> Result
    ) async throws -> Result {
        let settings = FederationClientSettings(blacklist: try IPRangeSet([]), whitelist: try IPRangeSet([]))
        let client = FederationClient(
            identity: identity, resolver: ServerResolver(srv: NoSRV(), wellKnown: NoWellKnown()),
            connections: FederationConnections(settings: settings, scheme: "http"), logger: Logger(label: "test"))
        return try await withOwned(client, release: { await $0.shutdown() }, body)
    }

    struct NoSRV: SRVResolving {
        func lookupSRV(_ name: String) async throws -> [SRVRecord] { [] }
    }

    struct NoWellKnown: WellKnownFetching {
        func fetch(hostname: String) async -> (result: WellKnownResult, cacheFor: Duration) { (.none, .seconds(60)) }
    }
}
