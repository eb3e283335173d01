import AsyncHTTPClient
import Foundation
import MatrixModel
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// A Matrix client-server API client over AsyncHTTPClient: JSON in, status and JSON out.
struct BenchClient: Sendable {
    let http: HTTPClient
    /// One base URL per process of the server under test; requests go to each in turn, so several
    /// processes sharing one database share the load without a load balancer in front.
    let baseURLs: [String]
    private let turn = NIOLockedValueBox(0)

    init(baseURLs: [String], connections: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(120))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(8, connections)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(120))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.baseURLs = baseURLs
    }

    /// The base URL for the next request: round-robin over `baseURLs`.
    private func nextBaseURL() -> String {
        guard baseURLs.count > 1 else { return baseURLs[0] }
        let count = baseURLs.count
        let index = turn.withLockedValue { turn in
            turn = (turn + 1) % count
            return turn
        }
        return baseURLs[index]
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

    /// Sends a request and returns the raw body; throws ``Failure`` for non-2xx answers. Large
    /// answers are checked by the scenarios without parsing, so the generator's own CPU use (on the
    /// same machine as the server) stays small.
    func callRaw(_ method: Method, _ path: String, token: String? = nil, body: JSONValue? = nil) async throws
        -> ByteBuffer
    {
        try await send(method, "/_matrix/client/v3" + path, token: token, body: body)
    }

    /// Sends a request to a path of its own (not under `/_matrix/client/v3`) and returns the raw
    /// body; throws ``Failure`` for non-2xx answers.
    func send(_ method: Method, _ fullPath: String, token: String? = nil, body: JSONValue? = nil) async throws
        -> ByteBuffer
    {
        var request = HTTPClientRequest(url: nextBaseURL() + fullPath)
        request.method = method.http
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        }
        let response = try await http.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(status: Int(response.status.code), body: String(buffer: bytes))
        }
        return bytes
    }

    /// Sends a request to `/_matrix/client/v3` + path and parses the answer.
    @discardableResult
    func call(_ method: Method, _ path: String, token: String? = nil, body: JSONValue? = nil) async throws -> JSONValue
    {
        let bytes = try await callRaw(method, path, token: token, body: body)
        if bytes.readableBytes == 0 { return .object([:]) }
        return try JSONParser(options: .init(maxDepth: 512, maxBytes: .max, allowFloats: true)).parse(
            bytes.readableBytesView)
    }

    func shutdown() async throws {
        try await http.shutdown()
    }
}

extension ByteBuffer {
    /// How many times `needle` occurs in the readable bytes (non-overlapping). `memchr` jumps to
    /// each candidate first byte, so checking a 600 KB answer costs the generator little CPU.
    func occurrences(of needle: String) -> Int {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else { return 0 }
        return withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return 0 }
            var count = 0
            var offset = 0
            while bytes.count - offset >= pattern.count,
                let found = memchr(base + offset, Int32(first), bytes.count - offset - pattern.count + 1)
            {
                let position = base.distance(to: UnsafeRawPointer(found))
                if memcmp(found, pattern, pattern.count) == 0 {
                    count += 1
                    offset = position + pattern.count
                } else {
                    offset = position + 1
                }
            }
            return count
        }
    }
}
