import ArgumentParser
import KeyportClient
import MatrixModel

struct Register: ParsableCommand {
    @Argument var user: String
    @Argument var password: String

    func run(_ context: Context) async throws {
        let client = try await MatrixClient.register(
            homeserver: context.homeserver, store: try context.openStore(), username: user, password: password)
        emit(try await client.fingerprint())
    }
}

struct Login: ParsableCommand {
    @Argument var user: String
    @Argument var password: String

    func run(_ context: Context) async throws {
        let client = try await MatrixClient.login(
            homeserver: context.homeserver, store: try context.openStore(), username: user, password: password)
        emit(try await client.fingerprint())
    }
}

struct CreateRoom: ParsableCommand {
    @Flag var encrypted = false
    @Option(name: .customLong("invite")) var invites: [String] = []

    func run(_ context: Context) async throws {
        let roomID = try await context.client().createRoom(encrypted: encrypted, invites: invites)
        emit(["room_id": .string(roomID), "encrypted": .bool(encrypted)])
    }
}

struct Join: ParsableCommand {
    @Argument var room: String

    func run(_ context: Context) async throws {
        emit(["room_id": .string(try await context.client().join(room))])
    }
}

struct Send: ParsableCommand {
    @Argument var room: String
    @Argument var text: String

    func run(_ context: Context) async throws {
        let client = try await context.client()
        _ = try await client.sync(timeout: 0)
        let sent = try await client.sendText(roomID: room, text: text)
        var line: JSONObject = ["event_id": .string(sent.eventID), "room_id": .string(room)]
        if let session = sent.sessionID { line["session_id"] = .string(session) }
        if let index = sent.messageIndex { line["message_index"] = .int(index) }
        emit(line)
    }
}

struct Messages: ParsableCommand {
    @Argument var room: String

    func run(_ context: Context) async throws {
        let client = try await context.client()
        _ = try await client.sync(timeout: 0)
        for event in try await client.timeline(roomID: room) { emit(event.outputJSON) }
    }
}

struct Sync: ParsableCommand {
    @Option(help: "How long the server may wait for news, in milliseconds.") var timeout = 0

    func run(_ context: Context) async throws {
        let result = try await context.client().sync(timeout: timeout)
        emit(result)
        emit(["next_batch": .string(result.summary.nextBatch)])
    }
}

struct Devices: ParsableCommand {
    func run(_ context: Context) async throws {
        for line in try await context.client().devices() { emit(line) }
    }
}

struct Fingerprint: ParsableCommand {
    func run(_ context: Context) async throws {
        emit(try await context.client().fingerprint())
    }
}

struct VerifyOwnDevice: ParsableCommand {
    @Argument var deviceID: String
    @Argument var fingerprint: String

    func run(_ context: Context) async throws {
        emit(try await context.client().verifyOwnDevice(deviceID: deviceID, fingerprint: fingerprint))
    }
}

struct RequestKeys: ParsableCommand {
    @Argument var room: String

    func run(_ context: Context) async throws {
        let client = try await context.client()
        _ = try await client.sync(timeout: 0)
        let lines = try await client.requestKeys(roomID: room)
        for line in lines { emit(line) }
        if lines.isEmpty { emit(["key_request": "none needed", "room_id": .string(room)]) }
    }
}

struct DeleteDevice: ParsableCommand {
    @Argument var deviceID: String
    @Argument var password: String

    func run(_ context: Context) async throws {
        try await context.client().deleteDevice(deviceID, password: password)
        emit(["deleted": .string(deviceID)])
    }
}
