import MatrixModel

/// Reads the fields of another server's answer. A field of the wrong shape fails with
/// ``FederationError/invalidResponse(_:)`` naming the request, the server and the field, so a
/// caller can log why a server's answer was refused and try another server.
///
/// Only the shape is checked: PDUs stay the objects they were received as (their hashes and
/// signatures cover them), and what they mean is for the caller to judge.
struct FederationAnswerReader {
    /// The answer being read.
    let answer: JSONObject
    /// What is being read, for error messages: `"send_join answer from example.org"`.
    let context: String

    /// The longest identifier the spec allows, in bytes.
    static let maxIdentifierBytes = 255

    init(_ answer: JSONObject, _ request: String, from destination: String) {
        self.answer = answer
        self.context = "\(request) answer from \(destination)"
    }

    /// A failure about `field`.
    func invalid(_ field: String, _ problem: String) -> FederationError {
        .invalidResponse("\(context): '\(field)' \(problem)")
    }

    /// A required object.
    func object(_ field: String) throws(FederationError) -> JSONObject {
        guard let value = answer[field] else { throw invalid(field, "is missing") }
        guard let object = value.objectValue else { throw invalid(field, "is not an object") }
        return object
    }

    /// An optional object; `null` counts as absent.
    func optionalObject(_ field: String) throws(FederationError) -> JSONObject? {
        guard let value = answer[field], !value.isNull else { return nil }
        guard let object = value.objectValue else { throw invalid(field, "is not an object") }
        return object
    }

    /// An optional string; `null` counts as absent.
    func optionalString(_ field: String) throws(FederationError) -> String? {
        guard let value = answer[field], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw invalid(field, "is not a string") }
        return string
    }

    /// An optional boolean; `null` counts as absent.
    func optionalBool(_ field: String) throws(FederationError) -> Bool? {
        guard let value = answer[field], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw invalid(field, "is not a boolean") }
        return flag
    }

    /// A required array of PDUs, each kept exactly as received; at most `limit` of them.
    func pdus(_ field: String, limit: Int = .max) throws(FederationError) -> [JSONObject] {
        let array = try array(field)
        guard array.count <= limit else { throw invalid(field, "holds \(array.count) events, over \(limit)") }
        var pdus: [JSONObject] = []
        pdus.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let pdu = element.objectValue else { throw invalid(field, "entry \(index) is not an object") }
            pdus.append(pdu)
        }
        return pdus
    }

    /// A required array of identifiers that start with `sigil` (`$` for event IDs).
    func identifiers(_ field: String, sigil: Character) throws(FederationError) -> [String] {
        let array = try array(field)
        var identifiers: [String] = []
        identifiers.reserveCapacity(array.count)
        for (index, element) in array.enumerated() {
            guard let identifier = element.stringValue else { throw invalid(field, "entry \(index) is not a string") }
            guard Self.isIdentifier(identifier, sigil: sigil) else {
                throw invalid(field, "entry \(index) is not an identifier starting with \(sigil)")
            }
            identifiers.append(identifier)
        }
        return identifiers
    }

    /// A required identifier that starts with `sigil` (`!` for a room ID).
    func identifier(_ field: String, sigil: Character) throws(FederationError) -> String {
        guard let value = answer[field] else { throw invalid(field, "is missing") }
        guard let identifier = value.stringValue else { throw invalid(field, "is not a string") }
        guard Self.isIdentifier(identifier, sigil: sigil) else {
            throw invalid(field, "is not an identifier starting with \(sigil)")
        }
        return identifier
    }

    /// A required array of server names: entries that are not strings fail, strings that are not valid server names are left out (one bad name does not make the
    /// others useless, and no request can be sent to it).
    func serverNames(_ field: String) throws(FederationError) -> [String] {
        let array = try array(field)
        var names: [String] = []
        for (index, element) in array.enumerated() {
            guard let name = element.stringValue else { throw invalid(field, "entry \(index) is not a string") }
            if ServerName(name) != nil { names.append(name) }
        }
        return names
    }

    /// A required array.
    func array(_ field: String) throws(FederationError) -> [JSONValue] {
        guard let value = answer[field] else { throw invalid(field, "is missing") }
        guard let array = value.arrayValue else { throw invalid(field, "is not an array") }
        return array
    }

    /// Whether the field is present and not `null`.
    func has(_ field: String) -> Bool {
        answer[field].map { !$0.isNull } ?? false
    }

    static func isIdentifier(_ text: String, sigil: Character) -> Bool {
        text.first == sigil && text.utf8.count > 1 && text.utf8.count <= maxIdentifierBytes
    }
}
