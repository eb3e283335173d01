/// A set of IPv4 and IPv6 address ranges in CIDR notation, used like Synapse's
/// `ip_range_blacklist` and `ip_range_whitelist` to decide which addresses outbound requests may reach.
///
/// An entry without a prefix length is a single address. Bits past the prefix are ignored, so
/// `10.1.2.3/8` means `10.0.0.0/8`. An IPv6 address that carries an IPv4 address (IPv4-mapped,
/// IPv4-compatible, 6to4, NAT64) is checked as that IPv4 address too, as Synapse's
/// `generate_ip_set` adds those IPv6 forms of every IPv4 range.
public struct IPRangeSet: Sendable {
    /// One range: the network's bytes (4 or 16) and how many leading bits must match.
    private struct Range: Sendable {
        var network: [UInt8]
        var prefixLength: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var remaining = prefixLength
            for (index, byte) in network.enumerated() where remaining > 0 {
                let bits = min(remaining, 8)
                let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                if address[index] & mask != byte & mask { return false }
                remaining -= bits
            }
            return true
        }
    }

    private let ranges: [Range]

    /// Parses every entry; throws ``IPRangeSetError`` naming the first one that is not a valid range.
    public init(_ cidrs: [String]) throws {
        var ranges: [Range] = []
        for cidr in cidrs {
            ranges += try Self.parse(cidr)
        }
        self.ranges = ranges
    }

    private init(ranges: [Range]) {
        self.ranges = ranges
    }

    /// Whether the textual IPv4 or IPv6 `address` falls in any range; false for text that is not an address.
    public func contains(_ address: String) -> Bool {
        guard let bytes = IPAddressText.bytes(address) else { return false }
        return contains(bytes: bytes)
    }

    /// Whether an address given as its 4 or 16 bytes, or an IPv4 address it carries, is in any range.
    func contains(bytes: [UInt8]) -> Bool {
        if ranges.contains(where: { $0.contains(bytes) }) { return true }
        return IPAddressText.embeddedIPv4(bytes).contains { embedded in
            ranges.contains(where: { $0.contains(embedded) })
        }
    }

    /// Both sets' ranges.
    public func union(_ other: IPRangeSet) -> IPRangeSet {
        IPRangeSet(ranges: ranges + other.ranges)
    }

    /// What Synapse blocks whatever `ip_range_blacklist` says: `0.0.0.0` and `::`, which on Linux
    /// reach this host.
    public static let alwaysBlocked: [String] = ["0.0.0.0/32", "::/128"]

    /// ``alwaysBlocked`` as a set, added to every configured blacklist by ``FederationClientSettings``.
    static let alwaysBlockedSet = IPRangeSet(ranges: [
        Range(network: [0, 0, 0, 0], prefixLength: 32),
        Range(network: [UInt8](repeating: 0, count: 16), prefixLength: 128),
    ])

    /// The default `ip_range_blacklist`: Synapse's `DEFAULT_IP_RANGE_BLOCKLIST` (loopback,
    /// private, carrier-grade NAT, link-local, documentation, benchmarking, multicast and other
    /// special-purpose ranges) and ``alwaysBlocked``.
    public static let defaultBlacklist: [String] =
        [
            "127.0.0.0/8",
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
            "192.0.0.0/24",
            "169.254.0.0/16",
            "192.88.99.0/24",
            "198.18.0.0/15",
            "192.0.2.0/24",
            "198.51.100.0/24",
            "203.0.113.0/24",
            "224.0.0.0/4",
            "::1/128",
            "fe80::/10",
            "fc00::/7",
            "2001:db8::/32",
            "ff00::/8",
            "fec0::/10",
        ] + alwaysBlocked

    /// The range for one entry, plus its IPv4 equivalent when it lies inside `::ffff:0:0/96`.
    private static func parse(_ cidr: String) throws -> [Range] {
        let text = cidr.strippingBlanks()
        let addressText: Substring
        var prefixLength: Int?
        if let slash = text.firstIndex(of: "/") {
            addressText = text[..<slash]
            let digits = text[text.index(after: slash)...]
            guard (1...3).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw IPRangeSetError(cidr: cidr, reason: "the prefix length is not a number")
            }
            prefixLength = Int(digits)
        } else {
            addressText = text
        }
        guard let network = IPAddressText.bytes(addressText) else {
            throw IPRangeSetError(cidr: cidr, reason: "\"\(addressText)\" is not an IPv4 or IPv6 address")
        }
        let bits = network.count * 8
        let length = prefixLength ?? bits
        guard length <= bits else {
            throw IPRangeSetError(cidr: cidr, reason: "the prefix length is larger than \(bits)")
        }
        var ranges = [Range(network: network, prefixLength: length)]
        if length >= 96, let mapped = IPAddressText.mappedIPv4(network) {
            ranges.append(Range(network: mapped, prefixLength: length - 96))
        }
        return ranges
    }
}

/// Why an entry given to ``IPRangeSet`` is not a valid CIDR range.
public struct IPRangeSetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The entry as given.
    public var cidr: String
    /// What is wrong with it.
    public var reason: String

    public init(cidr: String, reason: String) {
        self.cidr = cidr
        self.reason = reason
    }

    public var description: String { "invalid IP range \"\(cidr)\": \(reason)" }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    fileprivate func strippingBlanks() -> Substring {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
