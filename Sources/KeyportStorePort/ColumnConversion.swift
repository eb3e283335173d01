import KeyportStore
import MatrixModel

/// How a SQLite value becomes the value of its PostgreSQL column, chosen from the two declared
/// types. Strict: a value SQLite's loose typing let into a column that does not fit its type
/// stops the port rather than being guessed at.
enum ColumnConversion: Equatable {
    /// INTEGER → bigint.
    case integer
    /// INTEGER holding 0 or 1 → boolean.
    case flag
    /// TEXT → text (JSON documents included: both engines keep them as text).
    case text
    /// TEXT holding a JSON array of strings → text[].
    case jsonTextArray
    /// BLOB → bytea.
    case bytes
    /// REAL → double precision.
    case real

    /// The conversion between a SQLite declared type and a PostgreSQL type, if the port has one.
    init?(sqlite: String, postgres: String) {
        switch (sqlite.uppercased(), postgres) {
        case ("INTEGER", "bigint"): self = .integer
        case ("INTEGER", "boolean"): self = .flag
        case ("TEXT", "text"): self = .text
        case ("TEXT", "text[]"): self = .jsonTextArray
        case ("BLOB", "bytea"): self = .bytes
        case ("REAL", "double precision"): self = .real
        default: return nil
        }
    }

    /// The PostgreSQL value for a SQLite value; NULL stays NULL (PostgreSQL checks NOT NULL).
    func convert(_ value: TableValue) -> TableValue? {
        switch (self, value) {
        case (_, .null): .null
        case (.integer, .integer), (.text, .text), (.bytes, .blob), (.real, .real): value
        case (.real, .integer(let integer)): .real(Double(integer))
        case (.flag, .integer(let integer)) where integer == 0 || integer == 1: .boolean(integer == 1)
        case (.jsonTextArray, .text(let text)): Self.stringArray(text).map(TableValue.textArray)
        default: nil
        }
    }

    private static func stringArray(_ text: String) -> [String]? {
        guard let array = try? JSONParser().parse(text).arrayValue else { return nil }
        let strings = array.compactMap(\.stringValue)
        return strings.count == array.count ? strings : nil
    }
}
