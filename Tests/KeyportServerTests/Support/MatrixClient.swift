import Foundation
import Hummingbird
import HummingbirdTesting
import MatrixModel
import Testing

/// A small Matrix client over HummingbirdTesting's live client: JSON in, status and JSON out.
struct MatrixClient: Sendable {
    let client: any TestClientProtocol
    let serverName: String

    struct Reply: Sendable {
        var status: Int
        var body: JSONValue
        var headers: HTTPFields

        var errcode: String? { body["errcode"]?.stringValue }
        subscript(key: String) -> JSONValue? { body[key] }
    }

    /// Sends a request; `body` is encoded as JSON, `raw` is sent as it is.
    func request(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: JSONValue? = nil, raw: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let body { buffer = ByteBuffer(bytes: JSONWriter.bytes(body)) }
        if let raw { buffer = ByteBuffer(string: raw) }
        if buffer != nil { headers[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            let bytes = response.body.readableBytesView
            let json = bytes.isEmpty ? JSONValue.null : try JSONParser(options: .lenient).parse(Array(bytes))
            return Reply(status: Int(response.status.code), body: json, headers: response.headers)
        }
    }

    /// `/_matrix/client/v3` + path.
    func client(
        _ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: JSONValue? = nil, raw: String? = nil
    ) async throws -> Reply {
        try await request(method, "/_matrix/client/v3" + path, token: token, body: body, raw: raw)
    }

    /// Registers through the dummy stage and returns the logged-in session.
    func register(_ username: String, password: String = "secret-password", deviceID: String? = nil) async throws
        -> TestUser
    {
        var body: JSONValue = [
            "username": .string(username), "password": .string(password), "auth": ["type": "m.login.dummy"],
        ]
        if let deviceID { body["device_id"] = .string(deviceID) }
        let reply = try await client(.post, "/register", body: body)
        try #require(reply.status == 200, "register failed: \(reply.body)")
        return TestUser(
            userID: reply["user_id"]!.stringValue!, deviceID: reply["device_id"]!.stringValue!,
            token: reply["access_token"]!.stringValue!, password: password)
    }

    /// Logs in another device of a user.
    func login(_ user: TestUser, deviceID: String? = nil, displayName: String? = nil) async throws -> TestUser {
        var body: JSONValue = [
            "type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(user.userID)],
            "password": .string(user.password),
        ]
        if let deviceID { body["device_id"] = .string(deviceID) }
        if let displayName { body["initial_device_display_name"] = .string(displayName) }
        let reply = try await client(.post, "/login", body: body)
        try #require(reply.status == 200, "login failed: \(reply.body)")
        return TestUser(
            userID: user.userID, deviceID: reply["device_id"]!.stringValue!, token: reply["access_token"]!.stringValue!,
            password: user.password)
    }
}

/// A logged-in device of a test user.
struct TestUser: Sendable {
    var userID: String
    var deviceID: String
    var token: String
    var password: String

    /// The UIA dict that proves the password.
    var passwordAuth: JSONValue {
        [
            "type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(userID)],
            "password": .string(password),
        ]
    }
}
