/// The values bound to a statement's parameters: positional (`?`) from an array literal, or named
/// (`:name`, `@name`, `$name`) from a dictionary literal keyed by the name without its prefix.
///
/// ```swift
/// try db.execute(sql: "INSERT INTO t (a, b) VALUES (?, ?)", arguments: ["x", nil])
/// try String.fetchAll(db, sql: "SELECT a FROM t WHERE b = :b", arguments: ["b": 2])
/// ```
public struct StatementArguments: Sendable, Hashable, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    var positional: [DatabaseValue]
    var named: [String: DatabaseValue]

    public init(_ values: [(any DatabaseValueConvertible)?]) {
        positional = values.map { $0?.databaseValue ?? .null }
        named = [:]
    }

    public init(_ values: [String: (any DatabaseValueConvertible)?]) {
        positional = []
        named = values.mapValues { $0?.databaseValue ?? .null }
    }

    public init(arrayLiteral elements: (any DatabaseValueConvertible)?...) {
        self.init(elements)
    }

    public init(dictionaryLiteral elements: (String, (any DatabaseValueConvertible)?)...) {
        self.init(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }

    /// Whether there are no values at all.
    public var isEmpty: Bool { positional.isEmpty && named.isEmpty }
}
