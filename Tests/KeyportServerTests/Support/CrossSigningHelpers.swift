import Hummingbird
import HummingbirdTesting
import MatrixModel
import Testing

/// One logged-in device talking to the key endpoints, so cross-signing tests read as steps.
struct SigningSession: Sendable {
    let client: MatrixClient
    let user: TestUser

    init(_ client: MatrixClient, _ user: TestUser) {
        self.client = client
        self.user = user
    }

    /// `POST /keys/device_signing/upload` with the given keys and optional UIA dict.
    func uploadSigningKeys(
        master: JSONValue? = nil, selfSigning: JSONValue? = nil, userSigning: JSONValue? = nil, auth: JSONValue? = nil
    ) async throws -> MatrixClient.Reply {
        var body: JSONObject = [:]
        body["master_key"] = master
        body["self_signing_key"] = selfSigning
        body["user_signing_key"] = userSigning
        body["auth"] = auth
        return try await client.client(.post, "/keys/device_signing/upload", token: user.token, body: .object(body))
    }

    /// The password UIA dict, continuing `session` when given.
    func passwordAuth(session: String?, password: String? = nil) -> JSONValue {
        var auth = user.passwordAuth
        if let password { auth["password"] = .string(password) }
        if let session { auth["session"] = .string(session) }
        return auth
    }

    /// `POST /keys/signatures/upload`.
    func uploadSignatures(_ body: JSONValue) async throws -> MatrixClient.Reply {
        try await client.client(.post, "/keys/signatures/upload", token: user.token, body: body)
    }

    /// `POST /keys/upload` with any of device keys, one-time keys and fallback keys.
    func uploadKeys(
        deviceKeys: JSONValue? = nil, oneTimeKeys: JSONValue? = nil, fallbackKeys: JSONValue? = nil
    ) async throws -> MatrixClient.Reply {
        var body: JSONObject = [:]
        body["device_keys"] = deviceKeys
        body["one_time_keys"] = oneTimeKeys
        body["fallback_keys"] = fallbackKeys
        return try await client.client(.post, "/keys/upload", token: user.token, body: .object(body))
    }

    /// `POST /keys/query` for all devices of `userIDs`; requires a 200.
    func query(_ userIDs: [String]) async throws -> JSONValue {
        var request: JSONObject = [:]
        for userID in userIDs { request[userID] = [] }
        let reply = try await client.client(
            .post, "/keys/query", token: user.token, body: ["device_keys": .object(request)])
        try #require(reply.status == 200, "query failed: \(reply.body)")
        return reply.body
    }

    /// `GET /keys/changes` from device-list position `from` to far ahead; requires a 200.
    func changed(since from: Int64) async throws -> [String] {
        let reply = try await client.client(
            .get, "/keys/changes?from=s\(from)_0_0&to=s1000000_0_0", token: user.token)
        try #require(reply.status == 200, "keys/changes failed: \(reply.body)")
        return reply["changed"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// The first device-list position after which this user has no change of their own yet,
    /// found by probing `/keys/changes` (the client API hands out no token without `/sync`).
    func quietPosition(limit: Int64 = 500) async throws -> Int64 {
        for position in Int64(0)...limit {
            if try await !changed(since: position).contains(user.userID) { return position }
        }
        Issue.record("no quiet device-list position up to \(limit)")
        return limit
    }
}

/// A signature string inside a signed object.
func signature(of object: JSONValue?, by userID: String, key keyID: String) -> String? {
    object?["signatures"]?[userID]?[keyID]?.stringValue
}

/// Replaces (or adds) `signatures[userID][keyID]` in an object.
func withSignature(_ object: JSONValue, by userID: String, key keyID: String, _ value: String) -> JSONValue {
    var object = object.objectValue ?? [:]
    var signatures = object["signatures"]?.objectValue ?? [:]
    var byUser = signatures[userID]?.objectValue ?? [:]
    byUser[keyID] = .string(value)
    signatures[userID] = .object(byUser)
    object["signatures"] = .object(signatures)
    return .object(object)
}

/// A value kept across the `@Sendable` test-server closure (e.g. a token for a second server run).
actor Captured<Value: Sendable> {
    private(set) var value: Value?

    func set(_ value: Value) { self.value = value }
}
