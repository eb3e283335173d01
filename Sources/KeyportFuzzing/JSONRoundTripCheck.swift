import MatrixModel

/// The JSON parser and writer agree with each other.
///
/// For input the strict parser (canonical JSON rules) accepts: the value has a canonical form;
/// that form parses back to the same value and is written again to the same bytes; the plain
/// writer gives the same bytes; a fragment holding them is written unchanged; and the lenient
/// parser reads the same value. For input the lenient parser accepts: its compact form parses back
/// to the same value and is written again identically, and it has a canonical form exactly when
/// it holds no fractional number.
enum JSONRoundTripCheck {
    static func check(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        let strictValue = try? JSONParser(options: .strict).parse(input)
        let lenientValue = try? JSONParser(options: .lenient).parse(input)
        if let strictValue {
            try invariant(lenientValue == strictValue, "the lenient parser reads \(strictValue) differently")
            try checkCanonical(strictValue)
        }
        if let lenientValue { try checkCompact(lenientValue) }
        return lenientValue != nil
    }

    private static func checkCanonical(_ value: JSONValue) throws(InvariantViolation) {
        guard let canonical = try? value.canonicalBytes() else {
            throw InvariantViolation("a strictly parsed value has no canonical form: \(value)")
        }
        let text = String(decoding: canonical, as: UTF8.self)
        try invariant(String(validating: canonical, as: UTF8.self) != nil, "canonical bytes are not UTF-8: \(text)")
        guard let reparsed = try? JSONParser(options: .strict).parse(canonical) else {
            throw InvariantViolation("the canonical form does not parse: \(text)")
        }
        try invariant(reparsed == value, "the canonical form \(text) reads back as \(reparsed)")
        let again = try? reparsed.canonicalBytes()
        try invariant(again == canonical, "writing the canonical form twice differs: \(text)")
        try invariant(JSONWriter.bytes(value) == canonical, "the compact writer differs from canonical: \(text)")
        let wrapped = try? JSONValue.array([.fragment(JSONFragment(trustedBytes: canonical))]).canonicalBytes()
        try invariant(wrapped == Array("[".utf8) + canonical + Array("]".utf8), "a fragment changes \(text)")
    }

    private static func checkCompact(_ value: JSONValue) throws(InvariantViolation) {
        let written = JSONWriter.bytes(value)
        let text = String(decoding: written, as: UTF8.self)
        guard let reparsed = try? JSONParser(options: .lenient).parse(written) else {
            throw InvariantViolation("the compact form does not parse: \(text)")
        }
        try invariant(reparsed == value, "the compact form \(text) reads back as \(reparsed)")
        try invariant(JSONWriter.bytes(reparsed) == written, "writing the compact form twice differs: \(text)")
        let canonical = try? value.canonicalBytes()
        try invariant(
            (canonical != nil) == !containsFraction(value),
            "canonical writing \(canonical == nil ? "refused" : "accepted") \(text)")
        if let canonical { try invariant(canonical == written, "canonical and compact forms differ: \(text)") }
    }

    private static func containsFraction(_ value: JSONValue) -> Bool {
        switch value {
        case .double: true
        case .array(let elements): elements.contains(where: containsFraction)
        case .object(let members): members.values.contains(where: containsFraction)
        case .null, .bool, .int, .string, .fragment: false
        }
    }
}
