/// Why a client operation failed: the homeserver said no, it answered something we cannot use, or
/// the client refuses on its own account (a fingerprint that does not match, a store not logged in).
public enum ClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The homeserver answered with a non-2xx status and, usually, a Matrix error code.
    case http(status: Int, errcode: String?, message: String)
    /// The homeserver's answer lacks a field we need or has it in the wrong shape.
    case invalidResponse(String)
    /// The store holds no login yet: run `register` or `login` first.
    case notLoggedIn
    /// The store is logged in already; one store holds one device.
    case alreadyLoggedIn(userID: String, deviceID: String)
    /// The client refuses: a fingerprint mismatch, an unknown device or room, a flow it cannot do.
    case refused(String)

    public var description: String {
        switch self {
        case .http(let status, let errcode, let message):
            "HTTP \(status)\(errcode.map { " \($0)" } ?? ""): \(message)"
        case .invalidResponse(let message): "invalid response from the homeserver: \(message)"
        case .notLoggedIn: "this store holds no login; run register or login first"
        case .alreadyLoggedIn(let userID, let deviceID): "this store is logged in already as \(userID) (\(deviceID))"
        case .refused(let message): message
        }
    }
}
