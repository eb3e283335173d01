/// Fetching whole rows.
extension Row {
    /// The first row, or nil if there is none.
    public static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Row? {
        try fetchOne(db.makeStatement(sql: sql), arguments: arguments)
    }

    public static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Row] {
        try fetchAll(db.makeStatement(sql: sql), arguments: arguments)
    }

    /// The first row, or nil if there is none. The statement stops after it: for an INSERT, UPDATE
    /// or DELETE with RETURNING, SQLite has made all the changes by then.
    public static func fetchOne(_ statement: Statement, arguments: StatementArguments = []) throws -> Row? {
        var result: Row?
        try statement.run(arguments: arguments) { statement in
            result = statement.row()
            return false
        }
        return result
    }

    public static func fetchAll(_ statement: Statement, arguments: StatementArguments = []) throws -> [Row] {
        var result: [Row] = []
        try statement.run(arguments: arguments) { statement in
            result.append(statement.row())
            return true
        }
        return result
    }
}
