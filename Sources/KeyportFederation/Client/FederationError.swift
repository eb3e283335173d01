public import MatrixModel

/// Why an outbound federation request failed.
public enum FederationError: Error, Sendable, CustomStringConvertible {
    /// Every address of the destination is refused by `ip_range_blacklist`.
    case blocked(String)
    /// No connection, TLS failure, or the request did not finish in time.
    case unreachable(String)
    /// The destination answered with an error status.
    case status(Int, JSONObject?)
    /// The destination answered 200 with a body that is not a JSON object.
    case invalidResponse(String)

    public var description: String {
        switch self {
        case .blocked(let reason): "blocked: \(reason)"
        case .unreachable(let reason): "unreachable: \(reason)"
        case .status(let code, let body): "HTTP \(code) \(body.map { JSONValue.object($0).encodedString() } ?? "")"
        case .invalidResponse(let reason): "invalid response: \(reason)"
        }
    }

    /// The HTTP status to report for this failure in a client's `failures` map.
    public var failureStatus: Int {
        switch self {
        case .status(let code, _): code
        default: 503
        }
    }
}
