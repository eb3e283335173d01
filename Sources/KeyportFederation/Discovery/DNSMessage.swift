/// The DNS wire format (RFC 1035 §4), only as much as SRV lookups need: encoding a one-question
/// query, and reading a response's header, question and answer records, following name
/// compression pointers.
package enum DNSMessage {
    static let typeCNAME: UInt16 = 5
    package static let typeSRV: UInt16 = 33
    static let classIN: UInt16 = 1
    static let rcodeNoError: UInt8 = 0
    static let rcodeNameError: UInt8 = 3

    /// A parsed response.
    package struct Response: Equatable {
        package var id: UInt16
        package var isResponse: Bool
        /// TC: the server cut the message short; the answers read are those that fit.
        package var truncated: Bool
        package var rcode: UInt8
        package var questionName: String
        package var questionType: UInt16
        package var answers: [Answer]

        /// The SRV records answering `name`, following CNAME records from `name` in answer order.
        /// Records whose target is the root (".": the service is not offered, RFC 2782) are left out.
        package func srvRecords(for name: String) -> [SRVRecord] {
            var owners: Set<String> = [DNSMessage.canonical(name)]
            var records: [SRVRecord] = []
            for answer in answers where owners.contains(DNSMessage.canonical(answer.name)) {
                switch answer.data {
                case .cname(let target): owners.insert(DNSMessage.canonical(target))
                case .srv(let record): if !record.target.isEmpty { records.append(record) }
                case .other: break
                }
            }
            return records
        }
    }

    /// One answer record.
    package struct Answer: Equatable {
        package enum Data: Equatable {
            case srv(SRVRecord)
            case cname(String)
            case other
        }

        package var name: String
        package var data: Data
    }

    /// Why bytes could not be read as a DNS message.
    package struct MalformedMessage: Error {}

    /// A recursive query (RD set) for one name and type in class IN; nil when `name` cannot be
    /// encoded (an empty label, a label over 63 bytes, or more than 255 bytes in all).
    package static func query(id: UInt16, name: String, type: UInt16) -> [UInt8]? {
        guard let encodedName = encode(name) else { return nil }
        var bytes: [UInt8] = []
        append16(id, to: &bytes)
        bytes += [0x01, 0x00]  // QR=0, opcode QUERY, RD=1
        for count: UInt16 in [1, 0, 0, 0] { append16(count, to: &bytes) }
        bytes += encodedName
        append16(type, to: &bytes)
        append16(classIN, to: &bytes)
        return bytes
    }

    /// Reads a response. When the message is truncated, answers that do not fit are left out
    /// instead of failing the whole message.
    package static func parse(_ bytes: [UInt8]) throws(MalformedMessage) -> Response {
        var reader = Reader(bytes: bytes)
        let id = try reader.read16()
        let flags = try reader.read16()
        let questionCount = try reader.read16()
        let answerCount = try reader.read16()
        _ = try reader.read16()  // authority records
        _ = try reader.read16()  // additional records
        guard questionCount == 1 else { throw MalformedMessage() }
        let questionName = try reader.readName()
        let questionType = try reader.read16()
        guard try reader.read16() == classIN else { throw MalformedMessage() }
        var response = Response(
            id: id, isResponse: flags & 0x8000 != 0, truncated: flags & 0x0200 != 0, rcode: UInt8(flags & 0x000F),
            questionName: questionName, questionType: questionType, answers: [])
        for _ in 0..<answerCount {
            do {
                response.answers.append(try reader.readAnswer())
            } catch {
                if response.truncated { break }
                throw error
            }
        }
        return response
    }

    /// A name in lower case without a trailing dot, for comparisons.
    package static func canonical(_ name: String) -> String {
        var name = name.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// A name as length-prefixed labels ending with the root label.
    private static func encode(_ name: String) -> [UInt8]? {
        var text = Substring(name)
        if text.hasSuffix(".") { text = text.dropLast() }
        guard !text.isEmpty else { return nil }
        var bytes: [UInt8] = []
        for label in text.split(separator: ".", omittingEmptySubsequences: false) {
            let utf8 = Array(label.utf8)
            guard (1...63).contains(utf8.count) else { return nil }
            bytes.append(UInt8(utf8.count))
            bytes += utf8
        }
        bytes.append(0)
        return bytes.count <= 255 ? bytes : nil
    }

    private static func append16(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
    }
}

/// A cursor over a message's bytes; every read checks the bounds.
private struct Reader {
    let bytes: [UInt8]
    var offset = 0

    mutating func read16() throws(DNSMessage.MalformedMessage) -> UInt16 {
        guard offset + 2 <= bytes.count else { throw DNSMessage.MalformedMessage() }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// A name, following compression pointers (each must point before itself, at most 64 of them).
    /// Labels may hold printable ASCII other than "." and space.
    mutating func readName() throws(DNSMessage.MalformedMessage) -> String {
        var labels: [String] = []
        var position = offset
        var jumps = 0
        var encodedLength = 0
        var resumeAt: Int?
        while true {
            guard position < bytes.count else { throw DNSMessage.MalformedMessage() }
            let length = Int(bytes[position])
            if length & 0xC0 == 0xC0 {
                guard position + 1 < bytes.count else { throw DNSMessage.MalformedMessage() }
                let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
                jumps += 1
                guard target < position, jumps <= 64 else { throw DNSMessage.MalformedMessage() }
                if resumeAt == nil { resumeAt = position + 2 }
                position = target
                continue
            }
            guard length & 0xC0 == 0 else { throw DNSMessage.MalformedMessage() }
            encodedLength += length + 1
            guard encodedLength <= 255 else { throw DNSMessage.MalformedMessage() }
            if length == 0 {
                offset = resumeAt ?? position + 1
                return labels.joined(separator: ".")
            }
            guard position + 1 + length <= bytes.count else { throw DNSMessage.MalformedMessage() }
            let label = bytes[(position + 1)...(position + length)]
            guard label.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ".") }) else {
                throw DNSMessage.MalformedMessage()
            }
            labels.append(String(decoding: label, as: UTF8.self))
            position += 1 + length
        }
    }

    /// One resource record; SRV and CNAME data are decoded, other types skipped.
    mutating func readAnswer() throws(DNSMessage.MalformedMessage) -> DNSMessage.Answer {
        let name = try readName()
        let type = try read16()
        let recordClass = try read16()
        offset += 4  // TTL
        let length = Int(try read16())
        let end = offset + length
        guard end <= bytes.count else { throw DNSMessage.MalformedMessage() }
        defer { offset = end }
        guard recordClass == DNSMessage.classIN else { return DNSMessage.Answer(name: name, data: .other) }
        switch type {
        case DNSMessage.typeSRV:
            let priority = Int(try read16())
            let weight = Int(try read16())
            let port = Int(try read16())
            let target = try readName()
            guard offset <= end else { throw DNSMessage.MalformedMessage() }
            let record = SRVRecord(priority: priority, weight: weight, port: port, target: target)
            return DNSMessage.Answer(name: name, data: .srv(record))
        case DNSMessage.typeCNAME:
            let target = try readName()
            guard offset <= end else { throw DNSMessage.MalformedMessage() }
            return DNSMessage.Answer(name: name, data: .cname(target))
        default:
            return DNSMessage.Answer(name: name, data: .other)
        }
    }
}
