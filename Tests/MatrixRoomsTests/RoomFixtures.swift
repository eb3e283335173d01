import Foundation
import MatrixModel
import MatrixRooms
import Testing

/// One case of a fixture file under Fixtures/<folder>/, named by file and `id` in test output.
struct RoomFixtureCase: Sendable, CustomTestStringConvertible {
    let file: String
    let id: String
    let fields: JSONObject

    var testDescription: String { "\(file): \(id)" }

    func object(_ key: String) throws -> JSONObject {
        try #require(fields[key]?.objectValue, "\(id): missing object '\(key)'")
    }

    func array(_ key: String) throws -> [JSONValue] {
        try #require(fields[key]?.arrayValue, "\(id): missing array '\(key)'")
    }

    func version() throws -> RoomVersion {
        let identifier = try #require(fields["room_version"]?.stringValue, "\(id): missing room_version")
        return try #require(RoomVersion.named(identifier), "\(id): unsupported room version \(identifier)")
    }

    /// A PDU of the case; an `event_id` member is taken as its assigned ID, as the fixtures use made-up IDs.
    func pdu(_ value: JSONValue, version: RoomVersion) throws -> PDU {
        var object = try #require(value.objectValue, "\(id): an event is not an object")
        let assigned = object.removeValue(forKey: "event_id")?.stringValue
        return try PDU(parsing: object, roomVersion: version, assignedEventID: assigned)
    }
}

enum RoomFixtures {
    /// The folder of fixtures copied into the test bundle.
    static var root: URL {
        get throws {
            try #require(
                Bundle.module.url(forResource: "Fixtures", withExtension: nil), "no Fixtures in the test bundle")
        }
    }

    static func parse(_ url: URL) throws -> JSONObject {
        let data = try Data(contentsOf: url)
        let parser = JSONParser(options: .init(maxDepth: 64, maxBytes: 1 << 26, allowFloats: false))
        return try #require(try parser.parse(Array(data)).objectValue, "\(url.lastPathComponent) is not an object")
    }

    /// Every case of every `.json` file in `folder`, in file order.
    static func cases(in folder: String) throws -> [RoomFixtureCase] {
        let directory = try root.appendingPathComponent(folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
            .sorted()
        var cases: [RoomFixtureCase] = []
        for file in files {
            let content = try parse(directory.appendingPathComponent(file))
            for value in try #require(content["cases"]?.arrayValue, "\(file) has no cases") {
                let fields = try #require(value.objectValue, "\(file): a case is not an object")
                let id = try #require(fields["id"]?.stringValue, "\(file): a case has no id")
                cases.append(RoomFixtureCase(file: file, id: id, fields: fields))
            }
        }
        return cases
    }

    /// The cases of `folder`, or one failing placeholder if it cannot be read, so a broken folder
    /// fails the suite instead of leaving it with nothing to run.
    static func casesOrFailure(in folder: String) -> [RoomFixtureCase] {
        do {
            let cases = try cases(in: folder)
            return cases.isEmpty ? [RoomFixtureCase(file: folder, id: "NO CASES", fields: [:])] : cases
        } catch {
            return [RoomFixtureCase(file: folder, id: "UNREADABLE: \(error)", fields: [:])]
        }
    }
}
