/// Compact JSON text produced by ``JSONWriter`` and kept as bytes, so large stored objects can be
/// answered without parsing and re-encoding them.
public struct JSONFragment: Sendable, Hashable {
    public let bytes: [UInt8]

    /// Wraps bytes that are known to be one valid JSON value (written by ``JSONWriter``).
    public init(trustedBytes bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Wraps text that is known to be one valid JSON value (written by ``JSONWriter``).
    public init(trustedText text: String) {
        self.bytes = Array(text.utf8)
    }

    /// The parsed value.
    public func parsed() throws(JSONParseError) -> JSONValue {
        try JSONParser(options: .init(maxDepth: 512, maxBytes: .max, allowFloats: true)).parse(bytes)
    }
}
