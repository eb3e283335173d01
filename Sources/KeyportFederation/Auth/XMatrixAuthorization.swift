/// The parameters of an `Authorization: X-Matrix …` header.
///
/// Parsing follows RFC 9110 §11.4 as the spec asks: the scheme, then comma-separated
/// `name=value` pairs with optional spaces around commas, case-insensitive names in any order,
/// quoted values (backslash escapes undone) or bare tokens, unknown parameters ignored. The
/// header we send uses lower-case names, quoted values and no spaces around commas.
public struct XMatrixAuthorization: Sendable, Equatable {
    public var origin: String
    /// Absent from servers older than spec v1.3; when present it must be our name.
    public var destination: String?
    public var keyID: String
    public var signature: String

    public init(origin: String, destination: String?, keyID: String, signature: String) {
        self.origin = origin
        self.destination = destination
        self.keyID = keyID
        self.signature = signature
    }

    /// The header value to send: every parameter a quoted string, with `"` and `\` escaped.
    public var headerValue: String {
        var value = "X-Matrix origin=\(Self.quoted(origin))"
        if let destination { value += ",destination=\(Self.quoted(destination))" }
        return value + ",key=\(Self.quoted(keyID)),sig=\(Self.quoted(signature))"
    }

    /// An RFC 9110 quoted-string holding `text`.
    private static func quoted(_ text: String) -> String {
        var quoted = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { quoted.unicodeScalars.append("\\") }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }

    /// Parses a header value; nil when the scheme is not X-Matrix or `origin`, `key` or `sig` is missing.
    public init?(header: String) {
        var rest = Substring(header)
        guard let space = rest.firstIndex(where: { $0 == " " || $0 == "\t" }),
            rest[..<space].lowercased() == "x-matrix"
        else { return nil }
        rest = rest[space...]
        var parameters: [String: String] = [:]
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "," })
            if rest.isEmpty { break }
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let name = rest[..<equals].trimmingSpaces().lowercased()
            rest = rest[rest.index(after: equals)...].drop(while: { $0 == " " || $0 == "\t" })
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var closed = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { return nil }
                        value.append(escaped)
                        rest = rest.dropFirst()
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingSpaces()
                rest = rest[end...]
            }
            if parameters[name] == nil { parameters[name] = value }
            rest = rest.drop(while: { $0 == " " || $0 == "\t" })
            guard rest.isEmpty || rest.first == "," else { return nil }
        }
        guard let origin = parameters["origin"], !origin.isEmpty, let keyID = parameters["key"], !keyID.isEmpty,
            let signature = parameters["sig"], !signature.isEmpty
        else { return nil }
        self.init(origin: origin, destination: parameters["destination"], keyID: keyID, signature: signature)
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
