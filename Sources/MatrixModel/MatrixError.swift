/// An error as the Matrix APIs report it: an HTTP status, an `errcode`, a human-readable
/// `error`, and sometimes extra fields (`retry_after_ms`, user-interactive auth state).
///
/// Services throw these for expected failures; the HTTP layer encodes them unchanged. Internal
/// errors are never forwarded as-is: they become `M_UNKNOWN` 500 after being logged.
public struct MatrixError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var errcode: String
    public var message: String
    public var extra: JSONObject

    public init(status: Int, errcode: String, _ message: String, extra: JSONObject = [:]) {
        self.status = status
        self.errcode = errcode
        self.message = message
        self.extra = extra
    }

    /// The JSON body: `extra` fields, then `errcode` and `error`.
    public var body: JSONValue {
        var object = extra
        object["errcode"] = .string(errcode)
        object["error"] = .string(message)
        return .object(object)
    }

    public var description: String { "\(status) \(errcode): \(message)" }
}

extension MatrixError {
    public static func badJSON(_ message: String) -> MatrixError { .init(status: 400, errcode: "M_BAD_JSON", message) }
    public static func notJSON(_ message: String) -> MatrixError { .init(status: 400, errcode: "M_NOT_JSON", message) }
    public static func invalidParam(_ message: String) -> MatrixError {
        .init(status: 400, errcode: "M_INVALID_PARAM", message)
    }
    public static func missingParam(_ message: String) -> MatrixError {
        .init(status: 400, errcode: "M_MISSING_PARAM", message)
    }
    public static func invalidSignature(_ message: String) -> MatrixError {
        .init(status: 400, errcode: "M_INVALID_SIGNATURE", message)
    }
    public static func forbidden(_ message: String) -> MatrixError {
        .init(status: 403, errcode: "M_FORBIDDEN", message)
    }
    public static func notFound(_ message: String) -> MatrixError {
        .init(status: 404, errcode: "M_NOT_FOUND", message)
    }
    public static func unrecognized(_ message: String = "Unrecognized request", status: Int = 404) -> MatrixError {
        .init(status: status, errcode: "M_UNRECOGNIZED", message)
    }
    public static func missingToken(_ message: String = "Missing access token") -> MatrixError {
        .init(status: 401, errcode: "M_MISSING_TOKEN", message)
    }
    public static func unknownToken(_ message: String = "Unknown access token") -> MatrixError {
        .init(status: 401, errcode: "M_UNKNOWN_TOKEN", message, extra: ["soft_logout": false])
    }
    public static func unauthorized(_ message: String) -> MatrixError {
        .init(status: 401, errcode: "M_UNAUTHORIZED", message)
    }
    public static func tooLarge(_ message: String = "Request body too large") -> MatrixError {
        .init(status: 413, errcode: "M_TOO_LARGE", message)
    }
    public static func limitExceeded(retryAfterMilliseconds: Int64) -> MatrixError {
        .init(
            status: 429, errcode: "M_LIMIT_EXCEEDED", "Too many requests",
            extra: ["retry_after_ms": .int(retryAfterMilliseconds)])
    }
    public static func userInUse(_ message: String = "User ID already taken.") -> MatrixError {
        .init(status: 400, errcode: "M_USER_IN_USE", message)
    }
    public static func exclusive(_ message: String) -> MatrixError {
        .init(status: 400, errcode: "M_EXCLUSIVE", message)
    }
    public static func invalidUsername(_ message: String) -> MatrixError {
        .init(status: 400, errcode: "M_INVALID_USERNAME", message)
    }
    public static func unknown(_ message: String = "Internal server error") -> MatrixError {
        .init(status: 500, errcode: "M_UNKNOWN", message)
    }
}
