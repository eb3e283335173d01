import KeyportFederation

/// The DNS response parser keeps to the wire format's limits and to the query encoder.
///
/// For a message it accepts: no more answers than the header announces; every name (question,
/// owners, targets) is at most 253 characters of non-empty labels of at most 63 printable ASCII
/// characters; SRV records chosen for the question have a target and come from the answers; and
/// a query for the question's name encodes and parses back to the same id, name and type.
enum DNSMessageCheck {
    static func check(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        guard let response = try? DNSMessage.parse(input) else { return false }
        let announced = Int(input[6]) << 8 | Int(input[7])
        try invariant(response.answers.count <= announced, "\(response.answers.count) answers, \(announced) announced")
        var names = [response.questionName]
        for answer in response.answers {
            names.append(answer.name)
            switch answer.data {
            case .srv(let record): names.append(record.target)
            case .cname(let target): names.append(target)
            case .other: break
            }
        }
        for name in names { try checkName(name) }

        let records = response.srvRecords(for: response.questionName)
        for record in records {
            try invariant(!record.target.isEmpty, "an SRV record for the root was offered")
            for field in [record.priority, record.weight, record.port] {
                try invariant((0...65535).contains(field), "an SRV field out of 16 bits: \(record)")
            }
        }
        let preferred = SRVRecord.preferred(records)
        try invariant((preferred == nil) == records.isEmpty, "no record preferred among \(records)")
        if let preferred { try invariant(records.contains(preferred), "preferred \(preferred) is not an answer") }

        try checkQueryRoundTrip(response)
        return true
    }

    private static func checkName(_ name: String) throws(InvariantViolation) {
        guard !name.isEmpty else { return }  // the root
        try invariant(name.utf8.count <= 253, "a name of \(name.utf8.count) bytes: \(name)")
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            try invariant((1...63).contains(label.utf8.count), "a label of \(label.utf8.count) bytes in \(name)")
            try invariant(
                label.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "a label with unprintable bytes in \(name)")
        }
    }

    private static func checkQueryRoundTrip(_ response: DNSMessage.Response) throws(InvariantViolation) {
        let name = response.questionName
        guard !name.isEmpty else { return }
        guard let query = DNSMessage.query(id: response.id, name: name, type: response.questionType) else {
            throw InvariantViolation("a parsed question name cannot be encoded: \(name)")
        }
        guard let echoed = try? DNSMessage.parse(query) else {
            throw InvariantViolation("the query for \(name) does not parse")
        }
        try invariant(
            echoed.id == response.id && echoed.questionName == name && echoed.questionType == response.questionType
                && !echoed.isResponse && echoed.answers.isEmpty,
            "the query for \(name) reads back as \(echoed)")
    }
}
