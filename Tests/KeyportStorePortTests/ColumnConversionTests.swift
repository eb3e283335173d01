import KeyportStore
import Testing

@testable import KeyportStorePort

/// Which SQLite and PostgreSQL types the port bridges, and how strictly.
@Suite("Column conversions")
struct ColumnConversionTests {
    @Test("each pair of declared types has its conversion; others have none")
    func typePairs() {
        #expect(ColumnConversion(sqlite: "INTEGER", postgres: "bigint") == .integer)
        #expect(ColumnConversion(sqlite: "integer", postgres: "boolean") == .flag)
        #expect(ColumnConversion(sqlite: "TEXT", postgres: "text") == .text)
        #expect(ColumnConversion(sqlite: "TEXT", postgres: "text[]") == .jsonTextArray)
        #expect(ColumnConversion(sqlite: "BLOB", postgres: "bytea") == .bytes)
        #expect(ColumnConversion(sqlite: "REAL", postgres: "double precision") == .real)
        #expect(ColumnConversion(sqlite: "TEXT", postgres: "bigint") == nil)
        #expect(ColumnConversion(sqlite: "INTEGER", postgres: "text") == nil)
        #expect(ColumnConversion(sqlite: "", postgres: "text") == nil)
    }

    @Test("values convert to their PostgreSQL kind; a value that does not fit is refused, not guessed")
    func values() {
        #expect(ColumnConversion.flag.convert(.integer(1)) == .boolean(true))
        #expect(ColumnConversion.flag.convert(.integer(0)) == .boolean(false))
        #expect(ColumnConversion.flag.convert(.integer(2)) == nil)
        #expect(ColumnConversion.flag.convert(.text("1")) == nil)
        #expect(ColumnConversion.jsonTextArray.convert(.text(#"["a","b"]"#)) == .textArray(["a", "b"]))
        #expect(ColumnConversion.jsonTextArray.convert(.text("[]")) == .textArray([]))
        #expect(ColumnConversion.jsonTextArray.convert(.text(#"["a",1]"#)) == nil)
        #expect(ColumnConversion.jsonTextArray.convert(.text(#"{"a":1}"#)) == nil)
        #expect(ColumnConversion.integer.convert(.text("12")) == nil, "SQLite's loose typing let text in")
        #expect(ColumnConversion.integer.convert(.integer(12)) == .integer(12))
        #expect(ColumnConversion.real.convert(.integer(2)) == .real(2))
        #expect(ColumnConversion.bytes.convert(.blob([1, 2])) == .blob([1, 2]))
        #expect(ColumnConversion.bytes.convert(.text("x")) == nil)
        for conversion in [ColumnConversion.integer, .flag, .text, .jsonTextArray, .bytes, .real] {
            #expect(conversion.convert(.null) == .null)
        }
    }
}
