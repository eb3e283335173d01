import Foundation
import MatrixModel
import Testing

/// One entry of a fixture file, named by its `id` in test output.
struct FixtureEntry: Sendable, CustomTestStringConvertible {
    let id: String
    let fields: JSONObject

    var testDescription: String { id }

    func string(_ key: String) throws -> String {
        try #require(fields[key]?.stringValue, "\(id): missing string '\(key)'")
    }
}

enum FixtureError: Error {
    case missing(String)
    case malformed(String)
}

/// Loads the JSON fixtures copied into this test bundle.
enum Fixtures {
    static func load(_ name: String) throws -> JSONObject {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
            throw FixtureError.missing(name)
        }
        let data = try Data(contentsOf: url)
        let parser = JSONParser(options: .init(maxDepth: 64, maxBytes: 1 << 24, allowFloats: true))
        guard let object = try parser.parse(Array(data)).objectValue else { throw FixtureError.malformed(name) }
        return object
    }

    static func entries(_ name: String, list: String) throws -> [FixtureEntry] {
        guard let array = try load(name)[list]?.arrayValue else { throw FixtureError.malformed("\(name).\(list)") }
        return try array.map { element in
            guard let fields = element.objectValue, let id = fields["id"]?.stringValue else {
                throw FixtureError.malformed("\(name).\(list) entry")
            }
            return FixtureEntry(id: id, fields: fields)
        }
    }

    /// The spec vectors of one category.
    static func specVectors(category: String) throws -> [FixtureEntry] {
        try entries("matrix_spec_vectors", list: "vectors").filter { $0.fields["category"]?.stringValue == category }
    }

    /// The whole vector file.
    static func specFile() throws -> JSONObject {
        try load("matrix_spec_vectors")
    }
}

extension FixtureEntry {
    func object(_ key: String) throws -> JSONObject {
        try #require(fields[key]?.objectValue, "\(id): missing object '\(key)'")
    }
}

extension JSONObject {
    func string(_ key: String) throws -> String {
        try #require(self[key]?.stringValue, "missing string '\(key)'")
    }

    func object(_ key: String) throws -> JSONObject {
        try #require(self[key]?.objectValue, "missing object '\(key)'")
    }
}
