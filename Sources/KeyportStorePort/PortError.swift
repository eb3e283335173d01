/// Why the port refused to run or stopped, in words for the person running it: what is wrong and
/// what to do. The code is for tests and scripts.
public struct PortError: Error, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// The SQLite file does not exist.
        case sourceMissing
        /// The file is not an SQLite database, or holds no Keyport schema.
        case sourceNotKeyport
        /// An older Keyport wrote the database: start this one on it first.
        case sourceSchemaBehind
        /// A newer Keyport wrote the database.
        case sourceSchemaAhead
        /// The SQLite database has a table the port has no decision for.
        case undecidedTables
        /// PostgreSQL cannot be reached, refused the login, or has no such database.
        case cannotConnect
        /// The PostgreSQL database holds tables that are not Keyport's.
        case targetNotKeyport
        /// The PostgreSQL database already holds Keyport data.
        case targetNotEmpty
        /// The two schemas differ in a way the port cannot bridge.
        case schemaMismatch
        /// A SQLite value does not fit its PostgreSQL column.
        case unconvertibleValue
        /// Copying failed, or PostgreSQL did not end up with the rows SQLite has.
        case copyFailed
    }

    public let code: Code
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
