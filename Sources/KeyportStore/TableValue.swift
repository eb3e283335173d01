/// One value of a row copied from one engine's table into another's (`keyport
/// migrate-sqlite-to-postgres`): the five kinds SQLite stores, and the PostgreSQL kinds some of
/// them become (a 0/1 flag, a JSON array of strings).
public enum TableValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case boolean(Bool)
    case textArray([String])
}
