import KeyportFederation
import MatrixModel

/// Server names and the identifiers built on them keep to the spec's grammar, and the resolver's
/// `host[:port]` split works for every name they accept.
///
/// An accepted server name is ASCII, at most 255 bytes, kept as written, and splits into a
/// non-empty host and an optional port in 0...65535; an IPv4 host is four bytes. An accepted user
/// ID is `@localpart:server` with a valid server name and is rebuilt from its parts. A key ID is
/// rebuilt from its parts. IP address text gives 4 or 16 bytes.
enum ServerNameCheck {
    static func check(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        let text = String(decoding: input, as: UTF8.self)
        if let userID = UserID(text) {
            try invariant(userID.rawValue == text, "user ID \(text) kept as \(userID.rawValue)")
            try invariant(
                "@\(userID.localpart):\(userID.serverName.rawValue)" == text, "user ID \(text) splits wrongly")
            try invariant(UserID(localpart: userID.localpart, serverName: userID.serverName) == userID, "\(text)")
            try checkServerName(userID.serverName.rawValue)
        }
        if let keyID = KeyID(text) {
            try invariant(keyID.rawValue == text, "key ID \(text) rebuilt as \(keyID.rawValue)")
        }
        _ = IdentifierLimits.isValidDeviceID(text)
        if let bytes = IPAddressText.bytes(text) {
            try invariant(bytes.count == 4 || bytes.count == 16, "\(text) gives \(bytes.count) address bytes")
            _ = IPAddressText.mappedIPv4(bytes)
        }
        guard ServerName(text) != nil else { return false }
        try checkServerName(text)
        return true
    }

    /// The properties of one accepted server name, shared with the well-known target.
    static func checkServerName(_ text: String) throws(InvariantViolation) {
        guard let name = ServerName(text) else { throw InvariantViolation("\(text) is no longer a server name") }
        try invariant(name.rawValue == text, "server name \(text) kept as \(name.rawValue)")
        try invariant(text.utf8.allSatisfy { $0 < 0x80 }, "accepted a server name that is not ASCII: \(text)")
        try invariant(text.utf8.count <= 255, "accepted a server name of \(text.utf8.count) bytes")
        guard let parts = ServerAddressParts(text) else {
            throw InvariantViolation("the resolver cannot split the server name \(text)")
        }
        try invariant(!parts.host.isEmpty, "server name \(text) has an empty host")
        if let port = parts.port { try invariant((0...65535).contains(port), "server name \(text) has port \(port)") }
        if text.hasPrefix("[") {
            try invariant(parts.isIPLiteral, "the IPv6 literal \(text) is not taken as an address")
        } else if parts.isIPLiteral {
            try invariant(IPAddressText.ipv4Bytes(parts.host)?.count == 4, "\(text) taken as IPv4 but not four bytes")
        }
    }
}
