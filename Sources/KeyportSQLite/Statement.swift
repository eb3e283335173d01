import CSQLite
import Foundation

/// One prepared SQL statement of a connection.
///
/// Get one from ``Database/cachedStatement(sql:)`` and use it only inside the closure that received
/// the connection. Every run starts from a reset statement with fresh bindings and resets it when
/// done, so a statement never holds a read open between uses.
public final class Statement {
    let handle: OpaquePointer
    /// The SQL it was prepared from.
    public let sql: String
    private lazy var columnIndex = ColumnIndex(statement: handle)

    /// Prepares `sql`, which must hold exactly one statement (whitespace and comments may follow it).
    init(connection: OpaquePointer, sql: String) throws {
        var handle: OpaquePointer?
        var another: OpaquePointer?
        let code = sql.withCString { text in
            var tail: UnsafePointer<CChar>?
            let code = sqlite3_prepare_v2(connection, text, -1, &handle, &tail)
            if code == SQLITE_OK, let tail, tail.pointee != 0 {
                // Whatever follows must compile to no statement at all.
                sqlite3_prepare_v2(connection, tail, -1, &another, nil)
            }
            return code
        }
        guard code == SQLITE_OK else { throw DatabaseError(code: code, connection: connection, sql: sql) }
        guard let handle else {
            throw DatabaseError(resultCode: .misuse, message: "no statement in the SQL", sql: sql)
        }
        if let another {
            sqlite3_finalize(another)
            sqlite3_finalize(handle)
            throw DatabaseError(
                resultCode: .misuse, message: "more than one statement; use Database.execute(sql:)", sql: sql)
        }
        self.handle = handle
        self.sql = sql
    }

    /// Wraps a statement that `sqlite3_prepare_v2` made.
    init(preparedHandle handle: OpaquePointer) {
        self.handle = handle
        self.sql = String(cString: sqlite3_sql(handle))
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Runs the statement to its end, ignoring any rows it returns.
    public func execute(arguments: StatementArguments = []) throws {
        try run(arguments: arguments) { _ in true }
    }

    /// Binds `arguments`, then calls `row` for each row until it returns false or the rows end.
    func run(arguments: StatementArguments, row: (Statement) throws -> Bool) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        defer { sqlite3_reset(handle) }
        var bound = 0
        try bind(arguments, positionalFrom: &bound)
        guard bound == arguments.positional.count else {
            throw DatabaseError(
                resultCode: .range,
                message: "\(arguments.positional.count) arguments for \(bound) parameters", sql: sql)
        }
        try stepRows(row)
    }

    /// Steps until the rows end or `row` returns false. The caller binds and resets.
    func stepRows(_ row: (Statement) throws -> Bool) throws {
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW:
                if try !row(self) { return }
            case SQLITE_DONE:
                return
            case let code:
                throw DatabaseError(code: code, connection: sqlite3_db_handle(handle), sql: sql)
            }
        }
    }

    /// Binds this statement's parameters: named ones by name, positional ones from
    /// `arguments.positional[start...]`, advancing `start` past those used.
    func bind(_ arguments: StatementArguments, positionalFrom start: inout Int) throws {
        let count = sqlite3_bind_parameter_count(handle)
        guard count > 0 else { return }
        for index in 1...count {
            let value: DatabaseValue
            if let name = sqlite3_bind_parameter_name(handle, index) {
                // ":name", "@name" or "$name"; the dictionary's keys have no prefix.
                let key = String(String(cString: name).dropFirst())
                guard let named = arguments.named[key] else {
                    throw DatabaseError(resultCode: .range, message: "no value for parameter \(key)", sql: sql)
                }
                value = named
            } else {
                guard start < arguments.positional.count else {
                    throw DatabaseError(
                        resultCode: .range, message: "not enough arguments for the statement's parameters", sql: sql)
                }
                value = arguments.positional[start]
                start += 1
            }
            let code = bind(value, at: index)
            guard code == SQLITE_OK else {
                throw DatabaseError(code: code, connection: sqlite3_db_handle(handle), sql: sql)
            }
        }
    }

    private func bind(_ value: DatabaseValue, at index: Int32) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let integer):
            return sqlite3_bind_int64(handle, index, integer)
        case .double(let double):
            return sqlite3_bind_double(handle, index, double)
        case .text(var text):
            // An empty buffer may have no address, and a null pointer would bind NULL.
            return text.withUTF8 { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return csqlite_bind_text_copy(handle, index, "", 0)
                }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { characters in
                    csqlite_bind_text_copy(handle, index, characters, Int32(bytes.count))
                }
            }
        case .blob(let data):
            return data.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else {
                    return sqlite3_bind_zeroblob(handle, index, 0)
                }
                return csqlite_bind_blob_copy(handle, index, base, Int32(bytes.count))
            }
        }
    }

    /// The value of a column of the current row.
    func value(at column: Int32) -> DatabaseValue {
        switch sqlite3_column_type(handle, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, column))
        case SQLITE_FLOAT:
            return .double(sqlite3_column_double(handle, column))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(handle, column) else { return .text("") }
            let count = Int(sqlite3_column_bytes(handle, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            guard let bytes = sqlite3_column_blob(handle, column) else { return .blob(Data()) }
            return .blob(Data(bytes: bytes, count: Int(sqlite3_column_bytes(handle, column))))
        default:
            return .null
        }
    }

    /// The current row, copied out of SQLite.
    func row() -> Row {
        let count = sqlite3_column_count(handle)
        return Row(columns: columnIndex, values: (0..<count).map(value(at:)))
    }
}
