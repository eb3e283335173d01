public import MatrixModel

/// Why an outbound federation request failed.
public enum FederationError: Error, Sendable, CustomStringConvertible {
    /// An address of the destination is refused by `ip_range_blacklist`, or its host is a
    /// non-canonical IP address.
    case blocked(String)
    /// No connection, TLS failure, or the request did not finish in time.
    case unreachable(String)
    /// The destination answered with an error status.
    case status(Int, JSONObject?)
    /// The destination answered 200 with a body that is not a JSON object.
    case invalidResponse(String)
    /// The answer was longer than the limit for its kind of request.
    case tooLarge(String)
    /// Too many bytes of answers were being read at once across all requests.
    case overloaded(String)

    public var description: String {
        switch self {
        case .blocked(let reason): "blocked: \(reason)"
        case .unreachable(let reason): "unreachable: \(reason)"
        case .status(let code, let body): "HTTP \(code) \(body.map { JSONValue.object($0).encodedString() } ?? "")"
        case .invalidResponse(let reason): "invalid response: \(reason)"
        case .tooLarge(let reason): "answer too large: \(reason)"
        case .overloaded(let reason): "overloaded: \(reason)"
        }
    }

    /// The HTTP status to report for this failure in a client's `failures` map.
    public var failureStatus: Int {
        switch self {
        case .status(let code, _): code
        default: 503
        }
    }

    /// The Matrix `errcode` the destination answered with (`M_FORBIDDEN`, `M_NOT_FOUND`,
    /// `M_INCOMPATIBLE_ROOM_VERSION`, …); nil for any other failure or an error body without one.
    /// The rest of the body (such as `room_version`) is in ``status(_:_:)``.
    public var errcode: String? {
        guard case .status(_, let body?) = self else { return nil }
        return body["errcode"]?.stringValue
    }

    /// The same failure, its reason prefixed with the destination it concerns.
    func about(_ destination: String) -> FederationError {
        switch self {
        case .blocked(let reason): .blocked("\(destination): \(reason)")
        case .unreachable(let reason): .unreachable("\(destination): \(reason)")
        case .tooLarge(let reason): .tooLarge("\(destination): \(reason)")
        case .overloaded(let reason): .overloaded(reason)
        case .status, .invalidResponse: self
        }
    }
}
