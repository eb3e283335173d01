/// A JSON value as Matrix sees it.
///
/// Numbers are kept apart: `int` for the integers canonical JSON allows (±(2^53−1)), `double`
/// only for the rare places that accept fractional numbers. Objects are unordered; the canonical
/// encoder sorts their keys by code point.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
    /// JSON text this server wrote itself (e.g. stored keys), sent on as it is without being
    /// parsed and re-encoded. The accessors below see it as no value; canonical encoding parses it.
    case fragment(JSONFragment)

    /// The largest magnitude canonical JSON permits for an integer: 2^53 − 1.
    public static let maxSafeInteger: Int64 = 9_007_199_254_740_991
}

extension JSONValue {
    /// The dictionary inside an `object`, or nil.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The elements of an `array`, or nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The text of a `string`, or nil.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The integer of an `int`, or nil.
    public var intValue: Int64? {
        if case .int(let value) = self { return value }
        return nil
    }

    /// The flag of a `bool`, or nil.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// True for `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// Member lookup on objects; nil for missing members and for non-objects.
    public subscript(key: String) -> JSONValue? {
        get { objectValue?[key] }
        set {
            guard case .object(var dictionary) = self else { return }
            dictionary[key] = newValue
            self = .object(dictionary)
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var dictionary: JSONObject = [:]
        for (key, value) in elements { dictionary[key] = value }
        self = .object(dictionary)
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text, keys sorted.
    public var description: String { encodedString() }
}
