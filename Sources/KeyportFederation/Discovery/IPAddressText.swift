/// Parsing of textual IP addresses into their network-order bytes.
///
/// IPv4 is the dotted-decimal form with exactly four parts. IPv6 is RFC 4291 §2.2 text: eight
/// groups of one to four hex digits, at most one `::`, and an optional dotted IPv4 tail. A zone
/// suffix (`%eth0`) is accepted and ignored.
package enum IPAddressText {
    /// The four bytes of a dotted-decimal IPv4 address, or nil.
    package static func ipv4Bytes(_ text: some StringProtocol) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    /// The sixteen bytes of an IPv6 address, or nil.
    package static func ipv6Bytes(_ text: some StringProtocol) -> [UInt8]? {
        var address = Substring(text)
        if let percent = address.firstIndex(of: "%") {
            guard address.index(after: percent) < address.endIndex else { return nil }
            address = address[..<percent]
        }
        guard let gap = address.firstRange(of: "::") else {
            guard let bytes = groups(address, allowIPv4Tail: true), bytes.count == 16 else { return nil }
            return bytes
        }
        let head = address[..<gap.lowerBound]
        let tail = address[gap.upperBound...]
        guard !tail.contains("::"),
            let headBytes = groups(head, allowIPv4Tail: false),
            let tailBytes = groups(tail, allowIPv4Tail: true),
            headBytes.count + tailBytes.count <= 14
        else { return nil }
        return headBytes + [UInt8](repeating: 0, count: 16 - headBytes.count - tailBytes.count) + tailBytes
    }

    /// The bytes of either kind of address: four for IPv4, sixteen for IPv6.
    package static func bytes(_ text: some StringProtocol) -> [UInt8]? {
        ipv4Bytes(text) ?? ipv6Bytes(text)
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), or nil.
    package static func mappedIPv4(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else {
            return nil
        }
        return Array(bytes[12..<16])
    }

    /// Colon-separated hex groups, each two bytes; the last one may be a dotted IPv4 address.
    private static func groups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt8]? {
        if text.isEmpty { return [] }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var bytes: [UInt8] = []
        for (index, piece) in pieces.enumerated() {
            if allowIPv4Tail, index == pieces.count - 1, piece.contains(".") {
                guard let tail = ipv4Bytes(piece) else { return nil }
                bytes += tail
                continue
            }
            guard (1...4).contains(piece.count), piece.allSatisfy({ $0.isHexDigit && $0.isASCII }),
                let value = UInt16(piece, radix: 16)
            else { return nil }
            bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
        }
        return bytes.count <= 16 ? bytes : nil
    }
}
