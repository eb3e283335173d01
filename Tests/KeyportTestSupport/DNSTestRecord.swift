import KeyportFederation

#if canImport(Glibc)
    import Glibc
#endif

/// A record that the in-process ``DNSResponder`` serves, in class IN.
public enum DNSTestRecord: Sendable, Equatable {
    case srv(SRVRecord)
    /// An IPv4 address in dotted form, such as `127.0.0.1`.
    case a(String)
    /// An IPv6 address in text form, such as `::1`.
    case aaaa(String)

    static let typeA: UInt16 = 1
    static let typeSRV: UInt16 = 33
    static let typeAAAA: UInt16 = 28

    /// The RR TYPE this record answers.
    var type: UInt16 {
        switch self {
        case .srv: Self.typeSRV
        case .a: Self.typeA
        case .aaaa: Self.typeAAAA
        }
    }

    /// The RDATA on the wire (RFC 1035 §3.4.1, RFC 3596 §2.2, RFC 2782), with an SRV target written
    /// uncompressed; nil when an address or target cannot be encoded.
    var rdata: [UInt8]? {
        switch self {
        case .srv(let record):
            guard let target = DNSWire.name(record.target) else { return nil }
            return DNSWire.u16(record.priority) + DNSWire.u16(record.weight) + DNSWire.u16(record.port) + target
        case .a(let text): return Self.address(text, family: AF_INET, size: 4)
        case .aaaa(let text): return Self.address(text, family: AF_INET6, size: 16)
        }
    }

    private static func address(_ text: String, family: Int32, size: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: size)
        return inet_pton(family, text, &bytes) == 1 ? bytes : nil
    }
}
