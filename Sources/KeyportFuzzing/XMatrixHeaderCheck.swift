import KeyportFederation

/// The `X-Matrix` header parser reads what the writer writes.
///
/// Any header it accepts has a non-empty origin, key and signature, and the header written from
/// those parameters reads back as the same parameters.
enum XMatrixHeaderCheck {
    static func check(_ input: [UInt8]) throws(InvariantViolation) -> Bool {
        let header = String(decoding: input, as: UTF8.self)
        guard let parsed = XMatrixAuthorization(header: header) else { return false }
        try invariant(
            !parsed.origin.isEmpty && !parsed.keyID.isEmpty && !parsed.signature.isEmpty,
            "accepted a header with an empty required parameter: \(parsed)")
        let written = parsed.headerValue
        let reparsed = XMatrixAuthorization(header: written)
        try invariant(
            reparsed == parsed,
            "the header \(written) written for \(parsed) reads back as \(String(describing: reparsed))")
        return true
    }
}
