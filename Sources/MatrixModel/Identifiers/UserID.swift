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
        guard let colon = IdentifierBytes.withBytes(rawValue, UserID.colonOffset) else { return nil }
        let bytes = rawValue.utf8
        let colonIndex = bytes.index(bytes.startIndex, offsetBy: colon)
        guard let server = ServerName(String(rawValue[bytes.index(after: colonIndex)...])) else { return nil }
        self.rawValue = rawValue
        self.localpart = String(rawValue[bytes.index(after: bytes.startIndex)..<colonIndex])
        self.serverName = server
    }

    /// The offset of the first `:` when the ID starts `@localpart:` with a localpart of printable
    /// ASCII, and is no longer than ``maxLength``.
    static func colonOffset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        guard bytes.count <= maxLength, bytes.first == UInt8(ascii: "@"),
            let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 1,
            bytes[1..<colon].allSatisfy({ (0x21...0x7E).contains($0) })
        else { return nil }
        return colon
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
