/// The records the in-process ``DNSResponder`` serves, and how it answers a query from them, as an
/// authoritative server for every name: a name with no records gets NXDOMAIN, a name with records
/// of other types gets an empty NOERROR answer (NODATA).
public struct DNSZone: Sendable {
    /// RDATA by canonical owner name (lower case, no trailing dot) and record type.
    private let records: [String: [(type: UInt16, rdata: [UInt8])]]

    /// Records by owner name; names are matched without case and without a trailing dot. Throws
    /// when an address or SRV target cannot be encoded, so that a typo fails the test that made it.
    public init(_ records: [String: [DNSTestRecord]] = [:]) throws {
        var encoded: [String: [(type: UInt16, rdata: [UInt8])]] = [:]
        for (name, owned) in records {
            for record in owned {
                guard let rdata = record.rdata else { throw DNSZoneError(record: record) }
                encoded[Self.canonical(name), default: []].append((record.type, rdata))
            }
        }
        self.records = encoded
    }

    private static let rcodeFormatError: UInt8 = 1
    private static let rcodeNameError: UInt8 = 3
    private static let ttl: [UInt8] = [0, 0, 0, 60]

    /// The response to `query`: the header's id and RD bit copied, QR and AA set, the question
    /// echoed, and one answer per matching record, its owner a compression pointer to the
    /// question's name. FORMERR for a query that is not one question in class IN; nil for bytes
    /// too short to carry a header.
    public func reply(to query: [UInt8]) -> [UInt8]? {
        guard query.count >= 12 else { return nil }
        let flags: [UInt8] = [0x84 | (query[2] & 0x01), 0x00]
        guard let question = DNSWire.question(in: query) else {
            return Array(query[0..<2]) + [flags[0], Self.rcodeFormatError] + [0, 0, 0, 0, 0, 0, 0, 0]
        }
        guard let owned = records[question.name] else {
            return Array(query[0..<2]) + [flags[0], Self.rcodeNameError] + [0, 1, 0, 0, 0, 0, 0, 0]
                + question.bytes
        }
        var answers: [UInt8] = []
        var count = 0
        for record in owned where record.type == question.type {
            answers += [0xC0, 0x0C] + DNSWire.u16(Int(record.type)) + [0, 1] + Self.ttl
            answers += DNSWire.u16(record.rdata.count) + record.rdata
            count += 1
        }
        return Array(query[0..<2]) + flags + [0, 1] + DNSWire.u16(count) + [0, 0, 0, 0] + question.bytes + answers
    }

    private static func canonical(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }
}

/// A record that cannot be put on the wire: an address that does not parse, or an SRV target
/// with an empty or overlong label.
public struct DNSZoneError: Error, CustomStringConvertible {
    public var record: DNSTestRecord
    public var description: String { "cannot encode DNS record \(record)" }
}
