/// Typed reads of request fields that fail with the Matrix error a client should see:
/// a missing required field or a field of the wrong type is `M_BAD_JSON` (400).
extension JSONObject {
    /// A required string.
    public func requiredString(_ key: String) throws(MatrixError) -> String {
        guard let value = self[key] else { throw .badJSON("Missing field '\(key)'") }
        guard let string = value.stringValue else { throw .badJSON("Field '\(key)' must be a string") }
        return string
    }

    /// An optional string; `null` counts as absent.
    public func optionalString(_ key: String) throws(MatrixError) -> String? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let string = value.stringValue else { throw .badJSON("Field '\(key)' must be a string") }
        return string
    }

    /// An optional boolean; `null` counts as absent.
    public func optionalBool(_ key: String) throws(MatrixError) -> Bool? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw .badJSON("Field '\(key)' must be a boolean") }
        return flag
    }

    /// An optional integer; `null` counts as absent.
    public func optionalInt(_ key: String) throws(MatrixError) -> Int64? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let integer = value.intValue else { throw .badJSON("Field '\(key)' must be an integer") }
        return integer
    }

    /// A required object.
    public func requiredObject(_ key: String) throws(MatrixError) -> JSONObject {
        guard let value = self[key] else { throw .badJSON("Missing field '\(key)'") }
        guard let object = value.objectValue else { throw .badJSON("Field '\(key)' must be an object") }
        return object
    }

    /// An optional object; `null` counts as absent.
    public func optionalObject(_ key: String) throws(MatrixError) -> JSONObject? {
        guard let value = self[key], !value.isNull else { return nil }
        guard let object = value.objectValue else { throw .badJSON("Field '\(key)' must be an object") }
        return object
    }

    /// A required array of strings.
    public func requiredStringArray(_ key: String) throws(MatrixError) -> [String] {
        guard let value = self[key] else { throw .badJSON("Missing field '\(key)'") }
        guard let array = value.arrayValue else { throw .badJSON("Field '\(key)' must be an array") }
        var strings: [String] = []
        strings.reserveCapacity(array.count)
        for element in array {
            guard let string = element.stringValue else { throw .badJSON("Field '\(key)' must hold strings") }
            strings.append(string)
        }
        return strings
    }
}
