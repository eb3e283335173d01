/// Fetching single values: the first column of each row.
///
/// `fetchOne` returns nil when there is no row or the value is NULL; `fetchAll` fails on a NULL.
/// Both fail with `SQLITE_MISMATCH` on a value of another type.
extension DatabaseValueConvertible {
    public static func fetchOne(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> Self? {
        try fetchOne(db.makeStatement(sql: sql), arguments: arguments)
    }

    public static func fetchAll(_ db: Database, sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try fetchAll(db.makeStatement(sql: sql), arguments: arguments)
    }

    public static func fetchOne(_ statement: Statement, arguments: StatementArguments = []) throws -> Self? {
        var result: Self?
        try statement.run(arguments: arguments) { statement in
            let value = statement.value(at: 0)
            if !value.isNull { result = try convert(value, sql: statement.sql) }
            return false
        }
        return result
    }

    public static func fetchAll(_ statement: Statement, arguments: StatementArguments = []) throws -> [Self] {
        var result: [Self] = []
        try statement.run(arguments: arguments) { statement in
            result.append(try convert(statement.value(at: 0), sql: statement.sql))
            return true
        }
        return result
    }

    private static func convert(_ value: DatabaseValue, sql: String) throws -> Self {
        guard let converted = fromDatabaseValue(value) else {
            throw DatabaseError(resultCode: .mismatch, message: "could not read \(value) as \(Self.self)", sql: sql)
        }
        return converted
    }
}
