import CSQLite

/// A failure reported by SQLite, or a misuse of this layer (a value of the wrong type, arguments
/// that do not match the statement) reported with `SQLITE_MISMATCH`, `SQLITE_RANGE` or `SQLITE_MISUSE`.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    /// The extended result code, such as `SQLITE_CONSTRAINT_UNIQUE`.
    public var extendedResultCode: ResultCode
    /// SQLite's message, such as "UNIQUE constraint failed: accounts.user_id".
    public var message: String
    /// The statement that failed, if any.
    public var sql: String?

    /// The primary result code, such as `SQLITE_CONSTRAINT`.
    public var resultCode: ResultCode { extendedResultCode.primary }

    public init(resultCode: ResultCode, message: String, sql: String? = nil) {
        self.extendedResultCode = resultCode
        self.message = message
        self.sql = sql
    }

    /// The error a connection reports for `code`, with the connection's message.
    init(code: Int32, connection: OpaquePointer?, sql: String? = nil) {
        let message = connection.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
        // With extended codes on, the connection's own code carries the detail the call's may lack.
        let extended = connection.map { sqlite3_extended_errcode($0) } ?? code
        let resultCode = extended & 0xFF == code & 0xFF ? extended : code
        self.init(resultCode: ResultCode(rawValue: resultCode), message: message, sql: sql)
    }

    public var description: String {
        var text = "SQLite error \(extendedResultCode): \(message)"
        if let sql { text += " - while executing `\(sql)`" }
        return text
    }
}
