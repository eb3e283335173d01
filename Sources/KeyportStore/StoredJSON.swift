public import MatrixModel

/// JSON as every engine keeps it in text columns: canonical text in, parsed with limits loose
/// enough for anything the server itself stored (depth 512, any size, floats allowed) out. An
/// engine conforms to use `Self.encode` / `Self.decode` in its statements.
public protocol StoredJSON {}

extension StoredJSON {
    public static func encode(_ object: JSONObject) -> String {
        JSONValue.object(object).encodedString()
    }

    public static func encode(_ value: JSONValue) -> String {
        value.encodedString()
    }

    public static func decode(_ text: String) throws -> JSONValue {
        try JSONParser(options: .init(maxDepth: 512, maxBytes: .max, allowFloats: true)).parse(text)
    }

    /// The stored text as an object; `StoreError.notFound` when it holds anything else.
    public static func decodeObject(_ text: String) throws -> JSONObject {
        guard let object = try decode(text).objectValue else { throw StoreError.notFound }
        return object
    }
}
