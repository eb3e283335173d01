/// A server name: a DNS name or IP literal with an optional port (spec appendix "Server Name").
public struct ServerName: Sendable, Hashable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Validates `hostname [ ":" port ]` where hostname is a DNS name, IPv4 literal or `[IPv6]`.
    public init?(_ rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= 255, IdentifierBytes.withBytes(rawValue, ServerName.isValid)
        else { return nil }
        self.rawValue = rawValue
    }

    /// The grammar, over the name's UTF-8 bytes: anything outside ASCII is refused.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let colon = UInt8(ascii: ":")
        let dot = UInt8(ascii: ".")
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1,
                bytes[1..<close].allSatisfy({ IdentifierBytes.isHexDigit($0) || $0 == colon || $0 == dot })
            else { return false }
            return close + 1 == bytes.count || (bytes[close + 1] == colon && isPort(bytes[(close + 2)...]))
        }
        var host = bytes[...]
        if let last = bytes.lastIndex(of: colon) {
            guard isPort(bytes[(last + 1)...]) else { return false }
            host = bytes[..<last]
        }
        return !host.isEmpty
            && host.allSatisfy { byte in
                IdentifierBytes.isLetter(byte) || IdentifierBytes.isDigit(byte) || byte == UInt8(ascii: "-")
                    || byte == dot
            }
    }

    /// One to five digits, at most 65535.
    private static func isPort(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard (1...5).contains(digits.count), digits.allSatisfy(IdentifierBytes.isDigit) else { return false }
        return digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) } <= 65535
    }

    public var description: String { rawValue }
    public static func < (lhs: ServerName, rhs: ServerName) -> Bool { lhs.rawValue < rhs.rawValue }
}
