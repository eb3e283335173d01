import AsyncHTTPClient
import Foundation
import MatrixModel
import NIOCore
import NIOHTTP1

/// The client-server API over AsyncHTTPClient: JSON in, JSON out, Matrix errors as ``ClientError``.
/// Knows nothing of Keyport: any homeserver that speaks `/_matrix/client/v3` will do.
public struct HomeserverAPI: Sendable {
    public let baseURL: String
    public var accessToken: String?
    let http: HTTPClient

    public init(baseURL: String, accessToken: String? = nil) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.accessToken = accessToken
        http = HTTPClient.shared
    }

    public enum Method: Sendable {
        case get, post, put, delete

        var http: HTTPMethod {
            switch self {
            case .get: .GET
            case .post: .POST
            case .put: .PUT
            case .delete: .DELETE
            }
        }
    }

    /// Characters left as they are in one path segment (RFC 3986 `pchar` minus `/`).
    private static let segmentAllowed = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*,;:@")
    /// Characters left as they are in a query value.
    private static let queryAllowed = CharacterSet(
        charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*,;:@/?")

    /// One path segment, percent-encoded: room IDs, user IDs, event types, transaction IDs.
    public static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: segmentAllowed) ?? text
    }

    /// Calls `/_matrix/client/v3` + `path` (segments already encoded) and parses the answer.
    @discardableResult
    public func call(
        _ method: Method, _ path: String, query: [(String, String)] = [], body: JSONValue? = nil,
        timeout: TimeAmount = .seconds(60)
    ) async throws -> JSONObject {
        var url = baseURL + "/_matrix/client/v3" + path
        if !query.isEmpty {
            url +=
                "?"
                + query.map { name, value in
                    "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: Self.queryAllowed) ?? value)"
                }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method.http
        if let accessToken { request.headers.add(name: "Authorization", value: "Bearer \(accessToken)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        } else if method == .post || method == .put {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: "{}"))
        }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 64 * 1024 * 1024)
        let parsed = bytes.readableBytes == 0 ? nil : try? JSONParser(options: .lenient).parse(bytes.readableBytesView)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            throw HomeserverError(
                status: status, body: parsed?.objectValue ?? [:], text: String(buffer: bytes))
        }
        guard let object = parsed?.objectValue ?? (bytes.readableBytes == 0 ? [:] : nil) else {
            throw ClientError.invalidResponse("\(path) did not answer a JSON object")
        }
        return object
    }
}

/// A non-2xx answer, with its JSON body kept for user-interactive authentication (401 with flows).
public struct HomeserverError: Error, Sendable, CustomStringConvertible {
    public let status: Int
    public let body: JSONObject
    public let text: String

    public var errcode: String? { body["errcode"]?.stringValue }
    public var clientError: ClientError {
        .http(status: status, errcode: errcode, message: body["error"]?.stringValue ?? String(text.prefix(300)))
    }
    public var description: String { clientError.description }
}
