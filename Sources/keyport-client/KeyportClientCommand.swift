import ArgumentParser
import Foundation
import KeyportClient
import MatrixModel

/// `keyport-client --homeserver URL --store DIR COMMAND`: one command per run, one JSON object per
/// line on stdout, exit status 0 on success and non-zero with a message on stderr otherwise.
@main
struct KeyportClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyport-client",
        abstract: "A Matrix client with end-to-end encryption, for any homeserver.",
        discussion: """
            Commands: register USER PASSWORD | login USER PASSWORD | create-room [--encrypted] [--invite USER_ID]... |
            join ROOM | send ROOM TEXT | messages ROOM | sync [--timeout MS] | devices | fingerprint |
            verify-own-device DEVICE_ID FINGERPRINT | request-keys ROOM | delete-device DEVICE_ID PASSWORD
            """)

    @Option(help: "The homeserver's base URL, such as http://127.0.0.1:8008.")
    var homeserver: String

    @Option(help: "The directory that holds this device's state.")
    var store: String

    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func run() async throws {
        guard let name = command.first else { throw ValidationError("missing COMMAND") }
        let arguments = Array(command.dropFirst())
        let context = Context(homeserver: homeserver, storePath: store)
        do {
            try await Self.dispatch(name, arguments, context)
        } catch let error as ClientError {
            FileHandle.standardError.write(Data("keyport-client: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func dispatch(_ name: String, _ arguments: [String], _ context: Context) async throws {
        switch name {
        case "register": try await Register.parse(arguments).run(context)
        case "login": try await Login.parse(arguments).run(context)
        case "create-room": try await CreateRoom.parse(arguments).run(context)
        case "join": try await Join.parse(arguments).run(context)
        case "send": try await Send.parse(arguments).run(context)
        case "messages": try await Messages.parse(arguments).run(context)
        case "sync": try await Sync.parse(arguments).run(context)
        case "devices": try await Devices.parse(arguments).run(context)
        case "fingerprint": try await Fingerprint.parse(arguments).run(context)
        case "verify-own-device": try await VerifyOwnDevice.parse(arguments).run(context)
        case "request-keys": try await RequestKeys.parse(arguments).run(context)
        case "delete-device": try await DeleteDevice.parse(arguments).run(context)
        default: throw ValidationError("unknown command '\(name)'")
        }
    }
}

/// What every command gets: the homeserver and the store.
struct Context {
    let homeserver: String
    let storePath: String

    func openStore() throws -> ClientStore { try ClientStore(directory: storePath) }

    func client() async throws -> MatrixClient {
        try await MatrixClient.open(store: try openStore(), homeserver: homeserver)
    }
}

/// Writes one JSON object as one line on stdout.
func emit(_ object: JSONObject) {
    FileHandle.standardOutput.write(Data((JSONValue.object(object).encodedString() + "\n").utf8))
}

/// The line `sync` prints for each thing a round brought.
func emit(_ result: MatrixClient.SyncResult) {
    for event in result.summary.newEvents { emit(event.outputJSON) }
    for event in result.summary.lateDecryptions {
        var line = event.outputJSON
        line["late_decryption"] = true
        emit(line)
    }
    for room in result.summary.invites { emit(["invite": .string(room)]) }
    for report in result.summary.toDeviceReports { emit(report) }
    for report in result.keyRequestReports { emit(report) }
}
