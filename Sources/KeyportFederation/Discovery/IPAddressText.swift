/// Parsing of textual IP addresses into their network-order bytes, and back.
///
/// IPv4 is the strict dotted-decimal form: exactly four parts, each 0–255 in decimal without
/// leading zeros. The other forms `inet_aton` and `getaddrinfo` accept (`127.1`, `0x7f.1`,
/// `2130706433`, `0177.0.0.1`, where a leading zero means octal) are not addresses here: read as
/// decimal they would name another address than the one a connection reaches (see
/// ``looksNumeric(_:)``). IPv6 is RFC 4291 §2.2 text: eight groups of one to four hex digits, at
/// most one `::`, and an optional dotted IPv4 tail. A zone suffix (`%eth0`) is accepted and ignored.
package enum IPAddressText {
    /// The four bytes of a strict dotted-decimal IPv4 address, or nil.
    package static func ipv4Bytes(_ text: some StringProtocol) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0", let value = UInt8(part)
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

    /// True for a hostname that `inet_aton` (and so `getaddrinfo`) may read as an IPv4 address:
    /// its last label (ignoring a final dot) is all decimal digits, or `0x` and hex digits. No DNS
    /// name has such a top-level label (RFC 3696 §2), so a name like this is an address in
    /// disguise unless it is exactly the strict dotted-decimal form.
    static func looksNumeric(_ host: some StringProtocol) -> Bool {
        var text = Substring(host)
        if text.last == "." { text = text.dropLast() }
        let label = text.split(separator: ".", omittingEmptySubsequences: false).last ?? ""
        if !label.isEmpty, label.allSatisfy({ $0.isASCII && $0.isNumber }) { return true }
        let lower = label.lowercased()
        return lower.hasPrefix("0x") && lower.dropFirst(2).allSatisfy({ $0.isASCII && $0.isHexDigit })
    }

    /// The canonical text of an address: dotted decimal for four bytes, RFC 5952 for sixteen
    /// (lower-case hex, the longest run of two or more zero groups as `::`).
    static func text(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var best: Range<Int>?
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8, groups[end] == 0 { end += 1 }
            if end - index >= 2, end - index > (best?.count ?? 0) { best = index..<end }
            index = end
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String { slice.map { String($0, radix: 16) }.joined(separator: ":") }
        guard let best else { return hex(groups[...]) }
        return hex(groups[..<best.lowerBound]) + "::" + hex(groups[best.upperBound...])
    }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), or nil.
    package static func mappedIPv4(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else {
            return nil
        }
        return Array(bytes[12..<16])
    }

    /// Every IPv4 address an IPv6 address carries, as Synapse's `ip_range_blacklist` sees them:
    /// IPv4-mapped (`::ffff:a.b.c.d`, RFC 4291 §2.5.5.2), IPv4-compatible (`::a.b.c.d`, §2.5.5.1)
    /// and 6to4 (`2002:AABB:CCDD::/48`, RFC 3056). The NAT64 well-known prefix
    /// (`64:ff9b::a.b.c.d`, RFC 6052) is added: a translator on the path would reach that IPv4
    /// address for us.
    static func embeddedIPv4(_ bytes: [UInt8]) -> [[UInt8]] {
        guard bytes.count == 16 else { return [] }
        var found: [[UInt8]] = []
        if let mapped = mappedIPv4(bytes) { found.append(mapped) }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { found.append(Array(bytes[12..<16])) }
        if bytes[0] == 0x20, bytes[1] == 0x02 { found.append(Array(bytes[2..<6])) }
        if bytes[0..<12].elementsEqual([0x00, 0x64, 0xFF, 0x9B, 0, 0, 0, 0, 0, 0, 0, 0]) {
            found.append(Array(bytes[12..<16]))
        }
        return found
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
