#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The members of a JSON object, keyed by their exact UTF-8 bytes.
///
/// Swift's `String` equality is Unicode canonical equivalence, so a `[String: JSONValue]` would merge
/// `"é"` (U+00E9) and `"e\u{301}"` into one member. JSON, canonical JSON and signatures treat them as
/// two keys, so the members are kept by their bytes here.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Key = String
    public typealias Value = JSONValue

    /// A member name compared by its UTF-8 bytes.
    struct MemberName: Sendable, Hashable {
        let text: String

        static func == (lhs: MemberName, rhs: MemberName) -> Bool {
            let fast = lhs.text.utf8.withContiguousStorageIfAvailable { left in
                rhs.text.utf8.withContiguousStorageIfAvailable { right in
                    left.count == right.count
                        && (left.isEmpty || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
                }
            }
            if let fast, let result = fast { return result }
            return lhs.text.utf8.elementsEqual(rhs.text.utf8)
        }

        func hash(into hasher: inout Hasher) {
            let hashed: Void? = text.utf8.withContiguousStorageIfAvailable { bytes in
                hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
            if hashed == nil {
                for byte in text.utf8 { hasher.combine(byte) }
            }
            hasher.combine(0xFF as UInt8)
        }
    }

    private var storage: [MemberName: JSONValue]

    public init() {
        storage = [:]
    }

    public init(_ members: [String: JSONValue]) {
        storage = Dictionary(uniqueKeysWithValues: members.map { (MemberName(text: $0.key), $0.value) })
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        storage = [:]
        for (key, value) in elements { storage[MemberName(text: key)] = value }
    }

    public subscript(key: String) -> JSONValue? {
        get { storage[MemberName(text: key)] }
        set { storage[MemberName(text: key)] = newValue }
    }

    public subscript(key: String, default defaultValue: @autoclosure () -> JSONValue) -> JSONValue {
        get { storage[MemberName(text: key)] ?? defaultValue() }
        set { storage[MemberName(text: key)] = newValue }
    }

    /// Sets a member; returns the previous value under the same bytes, if any.
    @discardableResult
    public mutating func updateValue(_ value: JSONValue, forKey key: String) -> JSONValue? {
        storage.updateValue(value, forKey: MemberName(text: key))
    }

    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        storage.removeValue(forKey: MemberName(text: key))
    }

    public var keys: [String] { storage.keys.map(\.text) }
    public var values: [JSONValue] { Array(storage.values) }
    public var count: Int { storage.count }
    public var first: (key: String, value: JSONValue)? { storage.first.map { (key: $0.key.text, value: $0.value) } }
    public var isEmpty: Bool { storage.isEmpty }

    public func mapValues(_ transform: (JSONValue) throws -> JSONValue) rethrows -> JSONObject {
        var copy = JSONObject()
        copy.storage = try storage.mapValues(transform)
        return copy
    }

    public func filter(_ isIncluded: ((key: String, value: JSONValue)) throws -> Bool) rethrows -> JSONObject {
        var copy = JSONObject()
        copy.storage = try storage.filter { try isIncluded((key: $0.key.text, value: $0.value)) }
        return copy
    }

    /// The members ordered by the UTF-8 bytes of their names (canonical JSON order).
    public func sortedMembers() -> [(key: String, value: JSONValue)] {
        storage.map { (key: $0.key.text, value: $0.value) }.sorted { Self.precedes($0.key, $1.key) }
    }

    /// Whether `lhs` sorts before `rhs` by UTF-8 bytes: `memcmp` where both are contiguous (a
    /// comparison through `UTF8View` went byte by byte, 3% of a 100-user `/keys/query`).
    static func precedes(_ lhs: String, _ rhs: String) -> Bool {
        let fast = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in
                let shared = Swift.min(left.count, right.count)
                let order = shared == 0 ? 0 : memcmp(left.baseAddress!, right.baseAddress!, shared)
                return order != 0 ? order < 0 : left.count < right.count
            }
        }
        if let fast, let result = fast { return result }
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    public func makeIterator() -> AnyIterator<(key: String, value: JSONValue)> {
        var inner = storage.makeIterator()
        return AnyIterator {
            guard let (key, value) = inner.next() else { return nil }
            return (key: key.text, value: value)
        }
    }
}
