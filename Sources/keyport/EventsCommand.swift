import ArgumentParser
import Foundation
import MatrixModel
import MatrixRooms

/// `keyport events id|auth|resolve FILE`: the room rules, JSON in and JSON out. Exit 0 with the
/// answer on stdout; exit 2 with a message on stderr when the input is not what the command takes.
struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the room rules to events given as JSON (for debugging rooms and testing the rules).",
        subcommands: [EventID.self, EventAuth.self, EventResolve.self])
}

struct EventID: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "id",
        abstract: "{\"room_version\", \"event\"} → the event ID, the redacted event and whether its content hash holds."
    )

    @Argument(help: "A JSON file.") var file: String

    func run() async throws { try EventsIO.run(file: file, RoomEventsTool.id) }
}

struct EventAuth: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "{\"room_version\", \"event\", \"auth_events\"} → whether the auth rules allow the event.")

    @Argument(help: "A JSON file.") var file: String

    func run() async throws { try EventsIO.run(file: file, RoomEventsTool.auth) }
}

struct EventResolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "{\"room_version\", \"events\", \"state_sets\"} → the resolved state.")

    @Argument(help: "A JSON file.") var file: String

    func run() async throws {
        let input = try EventsIO.read(file: file)
        do {
            EventsIO.write(try await RoomEventsTool.resolve(input))
        } catch {
            throw EventsIO.fail(error.description)
        }
    }
}

/// Reading the file, printing the answer, failing with status 2.
enum EventsIO {
    static func run(
        file: String, _ command: (JSONValue) throws(RoomEventsToolError) -> JSONValue
    ) throws {
        let input = try read(file: file)
        do {
            write(try command(input))
        } catch {
            throw fail(error.description)
        }
    }

    static func read(file: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: file) else { throw fail("cannot read \(file)") }
        do {
            return try JSONParser(options: .init(maxBytes: 256 * 1024 * 1024)).parse(Array(data))
        } catch {
            throw fail("\(file) is not valid JSON: \(error)")
        }
    }

    static func write(_ answer: JSONValue) {
        FileHandle.standardOutput.write(Data(JSONWriter.bytes(answer) + [UInt8(ascii: "\n")]))
    }

    static func fail(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(2)
    }
}
