/// Rows of one table as one engine exports them and another imports them: the column names, and
/// each row's values in that order. No Matrix meaning: a copy of rows.
public struct TableRows: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[TableValue]]

    public init(columns: [String], rows: [[TableValue]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// A column of a table as its engine declares it: the name, and the type in the engine's own
/// words (`INTEGER` for SQLite, `bigint` or `text[]` for PostgreSQL).
public struct TableColumn: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var type: String

    public init(name: String, type: String) {
        self.name = name
        self.type = type
    }

    public var description: String { "\(name) \(type)" }
}
