import CSQLite

/// Column names to positions, shared by every row of a statement.
struct ColumnIndex: Sendable {
    let names: [String]
    private let positions: [String: Int]

    init(names: [String]) {
        self.names = names
        var positions: [String: Int] = [:]
        for (position, name) in names.enumerated() where positions[name.lowercased()] == nil {
            positions[name.lowercased()] = position
        }
        self.positions = positions
    }

    func index(of name: String) -> Int? {
        positions[name] ?? positions[name.lowercased()]
    }
}

extension ColumnIndex {
    init(statement: OpaquePointer) {
        self.init(
            names: (0..<sqlite3_column_count(statement)).map { column in
                sqlite3_column_name(statement, column).map { String(cString: $0) } ?? ""
            })
    }
}
