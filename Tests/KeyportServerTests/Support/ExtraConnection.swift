import Hummingbird
import HummingbirdTesting
import KeyportTestSupport
import MatrixModel
import Testing

/// A keep-alive HTTP/1.1 connection of its own to the live test server, beside the test framework's
/// client, so requests can really run side by side (one `TestClient` pipelines its requests on a
/// single connection). Tests get them through ``MatrixClient/withExtraConnections(_:_:)``, which
/// closes them on every path.
struct ExtraConnection: Sendable {
    fileprivate let client: TestClient

    /// Any method on `/_matrix/client/v3` + path over this connection; status and parsed body.
    func send(_ method: HTTPRequest.Method, _ path: String, token: String, body: JSONValue? = nil) async throws
        -> MatrixClient.Reply
    {
        var headers: HTTPFields = [.connection: "keep-alive", .authorization: "Bearer \(token)"]
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(bytes: JSONWriter.bytes(body))
        }
        let request = TestClient.Request(
            "/_matrix/client/v3" + path, method: method, authority: "localhost", headers: headers, body: buffer)
        let response = try await client.execute(request)
        let bytes = response.body.map { Array($0.readableBytesView) } ?? []
        let json = bytes.isEmpty ? JSONValue.null : try JSONParser(options: .lenient).parse(bytes)
        return MatrixClient.Reply(status: Int(response.status.code), body: json, headers: response.head.headerFields)
    }
}

extension MatrixClient {
    /// Runs `body` with `count` extra connections to this client's server and closes them
    /// afterwards, also when `body` throws.
    func withExtraConnections<Result>(
        _ count: Int, _ body: ([ExtraConnection]) async throws -> Result
    ) async throws -> Result {
        let port = try #require(client.port)
        let connections = (0..<count).map { _ in
            let client = TestClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(120)))
            client.connect()
            return ExtraConnection(client: client)
        }
        return try await withOwned(connections, release: Self.close, body)
    }

    /// Runs `body` with one extra connection, as ``withExtraConnections(_:_:)``.
    func withExtraConnection<Result>(_ body: (ExtraConnection) async throws -> Result) async throws -> Result {
        try await withExtraConnections(1) { connections in try await body(connections[0]) }
    }

    /// Closes every connection, even when closing one fails; throws the first failure.
    private static func close(_ connections: [ExtraConnection]) async throws {
        var failure: (any Error)?
        for connection in connections {
            do { try await connection.client.shutdown() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }
}
