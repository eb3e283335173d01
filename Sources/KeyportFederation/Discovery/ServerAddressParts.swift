import MatrixModel

/// A `host[:port]` string, as in a server name or an `m.server` value, split into its parts.
package struct ServerAddressParts: Sendable, Equatable {
    /// The hostname, or the IP address without the brackets of an IPv6 literal.
    package var host: String
    /// The explicit port, if one was written.
    package var port: Int?
    /// Whether `host` is an IPv4 literal or a bracketed IPv6 literal.
    package var isIPLiteral: Bool

    /// Splits text that is a valid server name; nil otherwise.
    package init?(_ text: String) {
        guard ServerName(text) != nil else { return nil }
        var portText: Substring = ""
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(after: close)...].dropFirst()
            isIPLiteral = true
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            isIPLiteral = IPAddressText.ipv4Bytes(host) != nil
        } else {
            host = text
            isIPLiteral = IPAddressText.ipv4Bytes(host) != nil
        }
        port = portText.isEmpty ? nil : Int(portText)
    }
}
