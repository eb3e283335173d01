/// A Matrix user ID `@localpart:server_name`.
///
/// ``init(_:)`` accepts any historical user ID (what other servers may send); ``isValidNewLocalpart(_:)``
/// holds the stricter grammar for registering new users here.
public struct UserID: Sendable, Hashable, CustomStringConvertible, Comparable {
    public let rawValue: String
    public let localpart: String
    public let serverName: ServerName

    /// The longest user ID allowed, in bytes.
    public static let maxLength = 255

    public init?(_ rawValue: String) {
        guard rawValue.utf8.count <= UserID.maxLength, rawValue.hasPrefix("@"),
            let colon = rawValue.firstIndex(of: ":")
        else { return nil }
        let localpart = rawValue[rawValue.index(after: rawValue.startIndex)..<colon]
        guard !localpart.isEmpty,
            localpart.unicodeScalars.allSatisfy({ $0.value >= 0x21 && $0.value <= 0x7E && $0 != ":" }),
            let server = ServerName(String(rawValue[rawValue.index(after: colon)...]))
        else { return nil }
        self.rawValue = rawValue
        self.localpart = String(localpart)
        self.serverName = server
    }

    public init?(localpart: String, serverName: ServerName) {
        self.init("@\(localpart):\(serverName.rawValue)")
    }

    /// The grammar for new user IDs: `a-z 0-9 . _ = - / +`.
    public static func isValidNewLocalpart(_ localpart: String) -> Bool {
        !localpart.isEmpty
            && localpart.unicodeScalars.allSatisfy { scalar in
                switch scalar {
                case "a"..."z", "0"..."9", ".", "_", "=", "-", "/", "+": true
                default: false
                }
            }
    }

    public var description: String { rawValue }
    public static func < (lhs: UserID, rhs: UserID) -> Bool { lhs.rawValue < rhs.rawValue }
}
