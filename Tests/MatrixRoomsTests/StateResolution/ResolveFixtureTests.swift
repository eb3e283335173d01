import Foundation
import MatrixModel
import MatrixRooms
import Testing

/// Runs every file in `Fixtures/resolve/`: public state-resolution cases of other implementations
/// (ruma, tuwunel, Synapse), converted to JSON by `scripts/fixtures/`. Each file is
/// `{"source", "cases": [...]}` with cases of two kinds:
///
/// - `resolve`: `events` (PDUs, each with the made-up `event_id` the loader assigns), `state_sets`
///   (lists of event IDs) and `expected_state` (the IDs of the resolved state);
/// - `dag`: `events` in a topological order and `expected_state_at` (event ID → the IDs of the state
///   after that event), where the state before an event is the resolution of the states after its
///   prev events.
@Suite("State resolution: public fixtures")
struct ResolveFixtureTests {
    struct Case: Sendable {
        let file: String
        let id: String
        let fields: JSONObject
    }

    static var directory: URL? {
        Bundle.module.resourceURL?.appendingPathComponent("Fixtures/resolve", isDirectory: true)
    }

    static func loadCases() throws -> [Case]? {
        guard let directory, FileManager.default.fileExists(atPath: directory.path) else { return nil }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        let parser = JSONParser(options: .init(maxDepth: 64, maxBytes: 1 << 26, allowFloats: false))
        var cases: [Case] = []
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let list = try #require(try parser.parse(Array(data))["cases"]?.arrayValue, "\(file): no 'cases'")
            for (index, element) in list.enumerated() {
                let fields = try #require(element.objectValue, "\(file): case \(index) is not an object")
                cases.append(Case(file: file, id: fields["id"]?.stringValue ?? "#\(index)", fields: fields))
            }
        }
        return cases
    }

    @Test("Every fixture case resolves to the expected state")
    func fixtures() async throws {
        guard let cases = try Self.loadCases() else { return }  // Nothing converted on this branch yet.
        #expect(!cases.isEmpty, "Fixtures/resolve/ exists but holds no case")
        var failed: [String] = []
        for fixture in cases {
            do {
                if try await !Self.run(fixture) { failed.append("\(fixture.file): \(fixture.id)") }
            } catch {
                Issue.record("\(fixture.file): \(fixture.id): \(error)")
            }
        }
        #expect(failed.isEmpty, "\(failed.count) of \(cases.count) cases failed: \(failed)")
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// Whether the case passes; a malformed case throws.
    static func run(_ fixture: Case) async throws -> Bool {
        let fields = fixture.fields
        guard let identifier = fields["room_version"]?.stringValue, let version = RoomVersion.named(identifier) else {
            throw Malformed(description: "unknown room_version")
        }
        var events: [PDU] = []
        for element in fields["events"]?.arrayValue ?? [] {
            guard var object = element.objectValue, let id = object["event_id"]?.stringValue else {
                throw Malformed(description: "an event without event_id")
            }
            object["event_id"] = nil
            events.append(try PDU(parsing: object, roomVersion: version, assignedEventID: id))
        }
        let byID = Dictionary(events.map { ($0.eventID, $0) }) { _, last in last }
        switch fields["kind"]?.stringValue {
        case "resolve":
            var stateSets: [StateMap] = []
            for set in fields["state_sets"]?.arrayValue ?? [] {
                var state: StateMap = [:]
                for id in try ids(set) {
                    guard let key = byID[id]?.stateMapKey else {
                        throw Malformed(description: "\(id) is no state event")
                    }
                    state[key] = id
                }
                stateSets.append(state)
            }
            let resolved = try await StateResolver.resolve(
                version: version, stateSets: stateSets, source: InMemoryEvents(events))
            let expected = Set(try ids(fields["expected_state"]))
            if Set(resolved.values) != expected {
                let extra = Set(resolved.values).subtracting(expected).sorted()
                let missing = expected.subtracting(resolved.values).sorted()
                Issue.record("\(fixture.id): got \(extra) instead of \(missing)")
                return false
            }
            return true
        case "dag":
            let walk = try await DAGWalk.walk(events, version: version)
            guard let expectations = fields["expected_state_at"]?.objectValue, !expectations.isEmpty else {
                throw Malformed(description: "no expected_state_at")
            }
            var passed = true
            for (eventID, expectedIDs) in expectations {
                let state = Set(walk.statesAfter[eventID]?.values.map { $0 } ?? [])
                let expected = Set(try ids(expectedIDs))
                if state != expected {
                    let extra = state.subtracting(expected).sorted()
                    let missing = expected.subtracting(state).sorted()
                    Issue.record("\(fixture.id) at \(eventID): got \(extra) instead of \(missing)")
                    passed = false
                }
            }
            return passed
        default:
            throw Malformed(description: "unknown kind")
        }
    }

    static func ids(_ value: JSONValue?) throws -> [String] {
        guard let array = value?.arrayValue else { throw Malformed(description: "not a list of event IDs") }
        return try array.map { element in
            guard let id = element.stringValue else { throw Malformed(description: "not an event ID") }
            return id
        }
    }
}
