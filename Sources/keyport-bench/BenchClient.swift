import AsyncHTTPClient
import Foundation
import MatrixModel
import NIOCore
import NIOHTTP1

/// A Matrix client-server API client over AsyncHTTPClient: JSON in, status and JSON out.
struct BenchClient: Sendable {
    let http: HTTPClient
    let baseURL: String

    init(baseURL: String, connections: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(120))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connections)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURL = baseURL
    }

    /// The methods the Matrix endpoints here use.
    enum Method: Sendable {
        case get, post, put

        var http: HTTPMethod {
            switch self {
            case .get: .GET
            case .post: .POST
            case .put: .PUT
            }
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let status: Int
        let body: String
        var description: String { "HTTP \(status): \(body.prefix(300))" }
    }

    /// Sends a request to `/_matrix/client/v3` + path; throws ``Failure`` for non-2xx answers.
    @discardableResult
    func call(_ method: Method, _ path: String, token: String? = nil, body: JSONValue? = nil) async throws -> JSONValue
    {
        var request = HTTPClientRequest(url: baseURL + "/_matrix/client/v3" + path)
        request.method = method.http
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw Failure(status: status, body: String(buffer: bytes))
        }
        if bytes.readableBytes == 0 { return .object([:]) }
        return try JSONParser(options: .init(maxDepth: 512, maxBytes: .max, allowFloats: true)).parse(
            bytes.readableBytesView)
    }

    func shutdown() async throws {
        try await http.shutdown()
    }
}
