/// The few pieces of the DNS wire format (RFC 1035 §4) that the test responder writes and reads.
/// Written apart from KeyportFederation's own `DNSMessage`, so that the client under test is read
/// against an independent encoder rather than against itself.
enum DNSWire {
    /// A big-endian 16-bit field.
    static func u16(_ value: Int) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    /// A name as length-prefixed labels ending with the root label; nil for an empty or overlong
    /// label. A trailing dot is ignored, and "" or "." is the root.
    static func name(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        if text.hasSuffix(".") { text = text.dropLast() }
        var bytes: [UInt8] = []
        if !text.isEmpty {
            for label in text.split(separator: ".", omittingEmptySubsequences: false) {
                guard (1...63).contains(label.utf8.count) else { return nil }
                bytes += [UInt8(label.utf8.count)] + Array(label.utf8)
            }
        }
        return bytes + [0]
    }

    /// The question of a one-question query: the name in lower case without a trailing dot, its
    /// type, and the question's bytes as sent. Nil unless `query` is a query (QR clear) with
    /// exactly one question in class IN and an uncompressed name.
    static func question(in query: [UInt8]) -> (name: String, type: UInt16, bytes: ArraySlice<UInt8>)? {
        guard query.count >= 12, query[2] & 0x80 == 0, query[4] == 0, query[5] == 1 else { return nil }
        var labels: [String] = []
        var offset = 12
        while true {
            guard offset < query.count else { return nil }
            let length = Int(query[offset])
            guard length & 0xC0 == 0, offset + 1 + length <= query.count else { return nil }
            offset += 1
            if length == 0 { break }
            labels.append(String(decoding: query[offset..<(offset + length)], as: UTF8.self).lowercased())
            offset += length
        }
        guard offset + 4 <= query.count else { return nil }
        let type = UInt16(query[offset]) << 8 | UInt16(query[offset + 1])
        let recordClass = UInt16(query[offset + 2]) << 8 | UInt16(query[offset + 3])
        guard recordClass == 1 else { return nil }
        return (labels.joined(separator: "."), type, query[12..<(offset + 4)])
    }
}
