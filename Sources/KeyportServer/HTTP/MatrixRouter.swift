import Foundation

/// A route table with Matrix semantics: path segments are percent-decoded before matching (user
/// and room IDs arrive encoded), an unknown path is 404 `M_UNRECOGNIZED`, and a known path with
/// another method is 405 `M_UNRECOGNIZED`.
public struct MatrixRouter: Sendable {
    /// Who may call a route.
    public enum Access: Sendable {
        case open
        case accessToken
        /// A server-to-server request: `X-Matrix` signature checked, the origin set on the request.
        case federation
        /// An application service's own request: its `as_token`, the service set on the request.
        case appService
    }

    public typealias Handler = @Sendable (MatrixRequest) async throws -> MatrixResponse

    struct Route: Sendable {
        var method: String
        /// The path as registered, parameters in braces: the `route` label of request metrics.
        var template: String
        var segments: [Segment]
        var access: Access
        var handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    enum Match {
        case found(Route, [String: String])
        case methodNotAllowed
        case notFound
    }

    private var routesBySegmentCount: [Int: [Route]] = [:]

    public init() {}

    /// The client-server API prefixes every client route is served under.
    public static let clientPrefixes = ["/_matrix/client/v3", "/_matrix/client/r0", "/_matrix/client/unstable"]

    /// Adds a route. `path` segments in braces (`{deviceId}`) are parameters.
    public mutating func add(_ method: String, _ path: String, access: Access, _ handler: @escaping Handler) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { part -> Segment in
            if part.hasPrefix("{"), part.hasSuffix("}") { return .parameter(String(part.dropFirst().dropLast())) }
            return .literal(String(part))
        }
        routesBySegmentCount[segments.count, default: []].append(
            Route(method: method, template: path, segments: segments, access: access, handler: handler))
    }

    /// Adds a client-server route under every client prefix.
    public mutating func client(
        _ method: String, _ path: String, access: Access = .accessToken, _ handler: @escaping Handler
    ) {
        for prefix in Self.clientPrefixes { add(method, prefix + path, access: access, handler) }
    }

    func match(method: String, path: String) -> Match {
        let raw = path.split(separator: "/", omittingEmptySubsequences: true)
        let decoded = raw.map { String($0).removingPercentEncodingKeepingInvalid() }
        guard let candidates = routesBySegmentCount[decoded.count] else { return .notFound }
        var pathMatched = false
        for route in candidates {
            var parameters: [String: String] = [:]
            var matches = true
            for (segment, value) in zip(route.segments, decoded) {
                switch segment {
                case .literal(let literal):
                    if literal != value { matches = false }
                case .parameter(let name):
                    parameters[name] = value
                }
                if !matches { break }
            }
            guard matches else { continue }
            if route.method == method || (method == "HEAD" && route.method == "GET") {
                return .found(route, parameters)
            }
            pathMatched = true
        }
        return pathMatched ? .methodNotAllowed : .notFound
    }
}

extension String {
    /// Percent-decodes; leaves the text as it is when it is not valid percent-encoded UTF-8.
    func removingPercentEncodingKeepingInvalid() -> String {
        guard contains("%") else { return self }
        return removingPercentEncoding ?? self
    }
}
