import MatrixModel
import Testing

/// The byte-level parsers of ``ServerName`` and ``UserID`` against a plain reading of the spec's
/// grammar over Unicode scalars, on random strings built from pieces that sit on the grammar's edges
/// (colons, brackets, ports, combining marks, fullwidth digits, non-ASCII letters).
@Suite struct IdentifierGrammarCrossCheckTests {
    static let pieces = [
        "@", ":", "[", "]", ".", "-", "_", "a", "Z", "f", "g", "0", "9", "8448", "65535", "65536", "::1",
        "\u{301}", "é", "\u{FF11}", "\u{0661}", " ", "\r\n", "\u{7F}", "!", "example.com",
    ]

    /// SplitMix64, so every run checks the same strings.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func isPort(_ scalars: ArraySlice<Unicode.Scalar>) -> Bool {
        (1...5).contains(scalars.count) && scalars.allSatisfy { ("0"..."9").contains($0) }
            && Int(String(String.UnicodeScalarView(scalars)))! <= 65535
    }

    /// `hostname [ ":" port ]`: a DNS name of ASCII letters, digits, `-` and `.`, or `[` ASCII hex
    /// digits, `:` and `.` `]`.
    static func referenceServerName(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        guard !scalars.isEmpty, text.utf8.count <= 255 else { return false }
        if scalars[0] == "[" {
            guard let close = scalars.firstIndex(of: "]"), close > 1,
                scalars[1..<close].allSatisfy({ $0.properties.isASCIIHexDigit || $0 == ":" || $0 == "." })
            else { return false }
            let rest = scalars[(close + 1)...]
            return rest.isEmpty || (rest.first == ":" && isPort(rest.dropFirst()))
        }
        var host = scalars[...]
        if let colon = scalars.lastIndex(of: ":") {
            guard isPort(scalars[(colon + 1)...]) else { return false }
            host = scalars[..<colon]
        }
        return !host.isEmpty
            && host.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                    || $0 == "."
            }
    }

    /// `@localpart:server_name`, the localpart printable ASCII up to the first colon.
    static func referenceUserID(_ text: String) -> (localpart: String, server: String)? {
        let scalars = Array(text.unicodeScalars)
        guard text.utf8.count <= 255, scalars.first == "@", let colon = scalars.firstIndex(of: ":"), colon > 1,
            scalars[1..<colon].allSatisfy({ (0x21...0x7E).contains($0.value) })
        else { return nil }
        let server = String(String.UnicodeScalarView(scalars[(colon + 1)...]))
        guard referenceServerName(server) else { return nil }
        return (String(String.UnicodeScalarView(scalars[1..<colon])), server)
    }

    @Test func byteParsersAgreeWithTheGrammar() {
        var random = Seeded(state: 20_261_208)
        var (validServers, validUsers) = (0, 0)
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 1...6, using: &random)).map { _ in Self.pieces.randomElement(using: &random)!
            }
            .joined()
            for candidate in [text, "@" + text, "@a:" + text] {
                let server = ServerName(candidate)
                #expect(
                    (server != nil) == Self.referenceServerName(candidate), "server name \(candidate.debugDescription)")
                if server != nil { validServers += 1 }
                let user = UserID(candidate)
                let expected = Self.referenceUserID(candidate)
                #expect(user?.localpart == expected?.localpart, "user ID \(candidate.debugDescription)")
                #expect(user?.serverName.rawValue == expected?.server, "user ID \(candidate.debugDescription)")
                if user != nil { validUsers += 1 }
            }
        }
        // Both answers are exercised in bulk.
        #expect(validServers > 1_000 && validUsers > 1_000, "\(validServers) server names, \(validUsers) user IDs")
    }

    @Test func membersSortByTheirBytes() {
        var random = Seeded(state: 7)
        var object = JSONObject()
        for _ in 0..<500 {
            let name = (0..<Int.random(in: 0...4, using: &random)).map { _ in Self.pieces.randomElement(using: &random)!
            }
            .joined()
            object[name] = .null
        }
        let names = object.sortedMembers().map(\.key)
        #expect(names.count == object.count)
        for (first, second) in zip(names, names.dropFirst()) {
            #expect(
                first.utf8.lexicographicallyPrecedes(second.utf8),
                "\(first.debugDescription) before \(second.debugDescription)")
        }
    }
}
