import Foundation
import Hummingbird
import MatrixModel

/// One user's `/room_keys` calls.
struct BackupClient: Sendable {
    let client: MatrixClient
    let user: TestUser

    static let algorithm: JSONValue = "m.megolm_backup.v1.curve25519-aes-sha2"
    static let authData: JSONValue = [
        "public_key": "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo",
        "signatures": ["@alice:test.local": ["ed25519:DEVICE": "SIG"]],
    ]

    /// A `KeyBackupData` whose `session_data` carries `tag`, so a test can tell which upload is stored.
    static func key(_ verified: Bool, _ firstMessageIndex: Int64, _ forwardedCount: Int64, _ tag: String = "x")
        -> JSONValue
    {
        [
            "first_message_index": .int(firstMessageIndex), "forwarded_count": .int(forwardedCount),
            "is_verified": .bool(verified),
            "session_data": ["ephemeral": "E", "ciphertext": .string(tag), "mac": "M"],
        ]
    }

    /// A path segment percent-encoded as clients send room and session IDs: everything but ASCII
    /// letters and digits.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved)!
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    /// `POST /room_keys/version`; the new version.
    func create(algorithm: JSONValue = algorithm, authData: JSONValue = authData) async throws -> String {
        let reply = try await client.client(
            .post, "/room_keys/version", token: user.token, body: ["algorithm": algorithm, "auth_data": authData])
        guard reply.status == 200, let version = reply["version"]?.stringValue else {
            throw BackupTestError.refused(reply.body)
        }
        return version
    }

    /// `/room_keys/version[/{version}]`.
    func version(
        _ method: HTTPRequest.Method = .get, _ version: String? = nil, body: JSONValue? = nil, raw: String? = nil
    ) async throws -> MatrixClient.Reply {
        try await client.client(
            method, "/room_keys/version" + (version.map { "/" + $0 } ?? ""), token: user.token, body: body, raw: raw)
    }

    /// `/room_keys/keys[/{roomId}[/{sessionId}]]?version=…`.
    func keys(
        _ method: HTTPRequest.Method, room: String? = nil, session: String? = nil, version: String?,
        body: JSONValue? = nil
    ) async throws -> MatrixClient.Reply {
        var path = "/room_keys/keys"
        if let room { path += "/" + Self.segment(room) }
        if let session { path += "/" + Self.segment(session) }
        if let version { path += "?version=" + Self.segment(version) }
        return try await client.client(method, path, token: user.token, body: body)
    }

    /// Uploads one session's key to `version`.
    func put(_ key: JSONValue, room: String = "!room:test.local", session: String = "S", version: String)
        async throws -> MatrixClient.Reply
    {
        try await keys(.put, room: room, session: session, version: version, body: key)
    }

    /// The stored key of one session (nil when there is none).
    func stored(room: String = "!room:test.local", session: String = "S", version: String) async throws -> JSONValue? {
        let reply = try await keys(.get, room: room, session: session, version: version)
        return reply.status == 200 ? reply.body : nil
    }
}

enum BackupTestError: Error {
    case refused(JSONValue)
}
