/// A strict JSON parser for untrusted input.
///
/// It rejects what Matrix must not accept: duplicate object keys, nesting deeper than
/// ``Options/maxDepth``, input larger than ``Options/maxBytes``, integers outside ±(2^53−1),
/// invalid UTF-8, lone surrogates, `NaN`/`Infinity`, and (unless ``Options/allowFloats``)
/// any number with a fraction or an exponent.
public struct JSONParser: Sendable {
    /// Limits applied while parsing.
    public struct Options: Sendable {
        /// Deepest nesting of arrays and objects accepted.
        public var maxDepth: Int
        /// Largest input accepted, in bytes.
        public var maxBytes: Int
        /// Accept numbers with a fraction or exponent. Integral ones within range become `.int`
        /// (the spec's `1e10` → `10000000000`), others `.double`.
        public var allowFloats: Bool

        public init(maxDepth: Int = 64, maxBytes: Int = 16 * 1024 * 1024, allowFloats: Bool = false) {
            self.maxDepth = maxDepth
            self.maxBytes = maxBytes
            self.allowFloats = allowFloats
        }

        /// Canonical JSON only: no floats.
        public static let strict = Options()
        /// Floats allowed, as in client request bodies outside signed objects.
        public static let lenient = Options(allowFloats: true)
    }

    public var options: Options

    public init(options: Options = .strict) {
        self.options = options
    }

    /// Parses one JSON value filling the whole input (surrounding white space allowed).
    public func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= options.maxBytes else { throw .tooLarge }
        let buffer = Array(bytes)
        return try buffer.withUnsafeBufferPointer { (pointer) throws(JSONParseError) -> JSONValue in
            var reader = JSONReader(bytes: pointer, options: options)
            reader.skipWhitespace()
            let value = try reader.readValue(depth: 0)
            reader.skipWhitespace()
            guard reader.atEnd else { throw .unexpected("trailing characters", reader.offset) }
            return value
        }
    }

    /// Parses UTF-8 text.
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }
}

/// Why input was not accepted as JSON.
public enum JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooLarge
    case tooDeep
    case unexpected(String, Int)
    case duplicateKey(String)
    case numberOutOfRange
    case floatNotAllowed
    case invalidString(String)

    public var description: String {
        switch self {
        case .tooLarge: "JSON body too large"
        case .tooDeep: "JSON nested too deeply"
        case .unexpected(let what, let offset): "Invalid JSON: \(what) at byte \(offset)"
        case .duplicateKey(let key): "Duplicate key '\(key)' in JSON object"
        case .numberOutOfRange: "Integer out of range (must be within ±(2^53−1))"
        case .floatNotAllowed: "Floating-point numbers are not allowed"
        case .invalidString(let why): "Invalid JSON string: \(why)"
        }
    }
}
