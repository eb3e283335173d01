/// One result row, copied out of SQLite: its values can be read after the statement moved on.
///
/// Read a column by name with the type you want:
/// ```swift
/// let userID: String = row["user_id"]        // the column must hold a non-NULL text
/// let name: String? = row["display_name"]    // NULL reads as nil
/// ```
/// A column missing from the query, or a value that is not of the requested type, is a programming
/// error and stops the process, as an out-of-range array index does.
public struct Row: Sendable {
    let columns: ColumnIndex
    /// The values, in the order of the query's columns.
    public let values: [DatabaseValue]

    /// The names of the columns, in the query's order.
    public var columnNames: [String] { columns.names }

    /// The raw value of `column`, or nil if the query has no such column. Names match ignoring case,
    /// as in SQL; with duplicate names the leftmost column wins.
    public func databaseValue(_ column: String) -> DatabaseValue? {
        columns.index(of: column).map { values[$0] }
    }

    /// The value of a column that must not be NULL.
    public subscript<Value: DatabaseValueConvertible>(_ column: String) -> Value {
        let value = existing(column)
        guard let converted = value.isNull ? nil : Value.fromDatabaseValue(value) else {
            preconditionFailure("column \(column) holds \(value), not a \(Value.self)")
        }
        return converted
    }

    /// The value of a column that may be NULL.
    public subscript<Value: DatabaseValueConvertible>(_ column: String) -> Value? {
        let value = existing(column)
        if value.isNull { return nil }
        guard let converted = Value.fromDatabaseValue(value) else {
            preconditionFailure("column \(column) holds \(value), not a \(Value.self)")
        }
        return converted
    }

    private func existing(_ column: String) -> DatabaseValue {
        guard let value = databaseValue(column) else {
            preconditionFailure("no column \(column) in a row of \(columns.names)")
        }
        return value
    }
}
