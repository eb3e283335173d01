/// A server name: a DNS name or IP literal with an optional port (spec appendix "Server Name").
public struct ServerName: Sendable, Hashable, CustomStringConvertible, Comparable {
    public let rawValue: String

    /// Validates `hostname [ ":" port ]` where hostname is a DNS name, IPv4 literal or `[IPv6]`.
    public init?(_ rawValue: String) {
        guard !rawValue.isEmpty, rawValue.utf8.count <= 255 else { return nil }
        var host = Substring(rawValue)
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let literal = host[host.index(after: host.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy({ $0.isASCII && ($0.isHexDigit || $0 == ":" || $0 == ".") })
            else { return nil }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), ServerName.isPort(rest.dropFirst()) else { return nil }
            }
        } else {
            if let colon = host.lastIndex(of: ":") {
                guard ServerName.isPort(host[host.index(after: colon)...]) else { return nil }
                host = host[..<colon]
            }
            guard !host.isEmpty,
                host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") })
            else { return nil }
        }
        self.rawValue = rawValue
    }

    private static func isPort(_ text: Substring) -> Bool {
        guard (1...5).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(text) else {
            return false
        }
        return port <= 65535
    }

    public var description: String { rawValue }
    public static func < (lhs: ServerName, rhs: ServerName) -> Bool { lhs.rawValue < rhs.rawValue }
}
