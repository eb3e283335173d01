import KeyportStore

/// One ported table as both engines declare it: for each SQLite column in order, the PostgreSQL
/// column it fills and the conversion between them. Made by comparing the two schemas before
/// anything is copied, so a difference the port does not know how to bridge stops it at once.
struct TableMapping {
    let table: String
    let sourceColumns: [String]
    let destinationColumns: [String]
    let conversions: [ColumnConversion]

    /// Pairs the columns by name (after the plan's renames); the problems found, if any, are
    /// thrown as sentences naming the table and column.
    init(_ plan: PortPlan.PortedTable, sqlite: [TableColumn], postgres: [TableColumn]) throws(SchemaProblems) {
        table = plan.name
        var problems: [String] = []
        if sqlite.isEmpty { problems.append("\(table): no such table in the SQLite database") }
        if postgres.isEmpty { problems.append("\(table): no such table in the PostgreSQL database") }
        let postgresTypes = Dictionary(postgres.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        var destinations: [String] = []
        var conversions: [ColumnConversion] = []
        for column in sqlite {
            let destination = plan.renamedColumns[column.name] ?? column.name
            guard let postgresType = postgresTypes[destination] else {
                if !postgres.isEmpty {
                    problems.append("\(table).\(column.name): no PostgreSQL column \(destination)")
                }
                continue
            }
            guard let conversion = ColumnConversion(sqlite: column.type, postgres: postgresType) else {
                problems.append("\(table).\(column.name): no conversion from SQLite \(column.type) to \(postgresType)")
                continue
            }
            destinations.append(destination)
            conversions.append(conversion)
        }
        let filled = Set(sqlite.map { plan.renamedColumns[$0.name] ?? $0.name })
        for column in postgres where !filled.contains(column.name) && !sqlite.isEmpty {
            problems.append("\(table).\(column.name): a PostgreSQL column no SQLite column fills")
        }
        guard problems.isEmpty else { throw SchemaProblems(problems: problems) }
        sourceColumns = sqlite.map(\.name)
        destinationColumns = destinations
        self.conversions = conversions
    }

    /// The rows as PostgreSQL takes them; throws naming the column of a value that does not fit.
    func convert(_ rows: TableRows) throws(PortError) -> TableRows {
        precondition(rows.columns == sourceColumns, "rows of \(table) in another column order")
        var converted: [[TableValue]] = []
        converted.reserveCapacity(rows.rows.count)
        for row in rows.rows {
            var values: [TableValue] = []
            values.reserveCapacity(row.count)
            for (index, value) in row.enumerated() {
                guard let converted = conversions[index].convert(value) else {
                    throw PortError(
                        .unconvertibleValue,
                        "\(table).\(sourceColumns[index]) holds \(value), which does not fit PostgreSQL's "
                            + "\(destinationColumns[index]) column; no rows were written to PostgreSQL")
                }
                values.append(converted)
            }
            converted.append(values)
        }
        return TableRows(columns: destinationColumns, rows: converted)
    }
}

/// Differences between the two schemas that the port cannot bridge, one sentence each.
struct SchemaProblems: Error {
    var problems: [String]
}
