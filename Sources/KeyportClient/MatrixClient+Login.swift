import KeyportClientCrypto
import MatrixModel

/// Registration and password login. Both end in the same set-up: a new Olm account, device and
/// one-time keys uploaded, cross-signing keys made when the account has none, and a first sync.
extension MatrixClient {
    static let deviceDisplayName = "keyport-client"

    /// Registers `username` with the `m.login.dummy` flow, the one a server without e-mail or
    /// captcha checks offers.
    public static func register(homeserver: String, store: ClientStore, username: String, password: String)
        async throws -> MatrixClient
    {
        try await requireLoggedOut(store)
        let api = HomeserverAPI(baseURL: homeserver)
        var body: JSONObject = [
            "username": .string(username), "password": .string(password),
            "initial_device_display_name": .string(deviceDisplayName),
        ]
        let answer: JSONObject
        do {
            answer = try await api.call(.post, "/register", body: .object(body))
        } catch let error as HomeserverError where error.status == 401 {
            let flows = error.body["flows"]?.arrayValue ?? []
            let dummy = flows.contains { flow in
                (flow["stages"]?.arrayValue ?? []).allSatisfy { $0.stringValue == "m.login.dummy" }
            }
            guard dummy else {
                throw ClientError.refused("the server offers no m.login.dummy registration flow")
            }
            var auth: JSONObject = ["type": "m.login.dummy"]
            if let session = error.body["session"] { auth["session"] = session }
            body["auth"] = .object(auth)
            do {
                answer = try await api.call(.post, "/register", body: .object(body))
            } catch let error as HomeserverError {
                throw error.clientError
            }
        } catch let error as HomeserverError {
            throw error.clientError
        }
        return try await setUp(homeserver: homeserver, store: store, answer: answer, password: password)
    }

    /// Logs in with a password as a new device.
    public static func login(homeserver: String, store: ClientStore, username: String, password: String)
        async throws -> MatrixClient
    {
        try await requireLoggedOut(store)
        let api = HomeserverAPI(baseURL: homeserver)
        let body: JSONValue = [
            "type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(username)],
            "password": .string(password), "initial_device_display_name": .string(deviceDisplayName),
        ]
        let answer: JSONObject
        do {
            answer = try await api.call(.post, "/login", body: body)
        } catch let error as HomeserverError {
            throw error.clientError
        }
        return try await setUp(homeserver: homeserver, store: store, answer: answer, password: password)
    }

    private static func requireLoggedOut(_ store: ClientStore) async throws {
        if let identity = try await store.read({ try $0.identity() }) {
            throw ClientError.alreadyLoggedIn(userID: identity.userID, deviceID: identity.deviceID)
        }
    }

    private static func setUp(homeserver: String, store: ClientStore, answer: JSONObject, password: String)
        async throws -> MatrixClient
    {
        guard let userID = answer["user_id"]?.stringValue, let deviceID = answer["device_id"]?.stringValue,
            let token = answer["access_token"]?.stringValue
        else { throw ClientError.invalidResponse("login answer lacks user_id, device_id or access_token") }
        let identity = ClientIdentity(homeserver: homeserver, userID: userID, deviceID: deviceID, accessToken: token)
        try await store.write { tx in
            try tx.saveIdentity(identity)
            try tx.saveAccount(OlmAccount())
            try tx.trackUser(userID)
        }
        let client = MatrixClient(store: store, identity: identity)
        try await client.uploadKeys()
        try await client.bootstrapCrossSigningIfMissing(password: password)
        _ = try await client.sync(timeout: 0)
        return client
    }
}
