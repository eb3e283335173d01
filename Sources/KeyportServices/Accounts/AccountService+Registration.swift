public import MatrixModel

extension AccountService {
    /// The flows `POST /register` offers: the dummy stage, when open registration is enabled.
    public static let registrationFlows: [UserInteractiveAuth.Flow] = [["m.login.dummy"]]

    /// `POST /register`: checks the username first (so clients learn early), then demands the
    /// dummy stage, then creates the account and logs a device in.
    public func register(body: JSONObject, kind: String?) async throws -> JSONValue {
        guard kind == nil || kind == "user" else { throw MatrixError.forbidden("Guest access is disabled") }
        guard policy.enabled else { throw MatrixError.forbidden("Registration has been disabled") }
        let username = try body.optionalString("username")
        let userID = try newUserID(localpart: username?.lowercased() ?? SecureTokens.random(length: 12).lowercased())
        if username != nil { try await ensureAvailable(userID) }
        let auth = try body.optionalObject("auth")
        let session = try auth?.optionalString("session")
        guard let auth, try auth.optionalString("type") == "m.login.dummy" else {
            throw try await interactiveAuth.challenge(flows: Self.registrationFlows, session: session)
        }
        try await interactiveAuth.complete(stage: "m.login.dummy", session: session)
        guard let password = try body.optionalString("password") else {
            throw MatrixError.missingParam("Missing 'password'")
        }
        let inhibitLogin = try body.optionalBool("inhibit_login") ?? false
        let (registered, login) = try await register(
            userID: userID, password: password, deviceID: try body.optionalString("device_id"),
            displayName: try body.optionalString("initial_device_display_name"), inhibitLogin: inhibitLogin)
        return registrationAnswer(userID: registered, login: login)
    }

    /// `GET /register/available`.
    public func checkAvailability(username: String?) async throws -> JSONValue {
        guard let username else { throw MatrixError.missingParam("Missing 'username'") }
        let userID = try newUserID(localpart: username)
        try await ensureAvailable(userID)
        return .object(["available": true])
    }

    /// `POST /login` with `m.login.password`; `address` is the client's, for failed-attempt limits.
    public func login(body: JSONObject, address: String? = nil) async throws -> JSONValue {
        let type = try body.requiredString("type")
        guard type == "m.login.password" else {
            throw MatrixError.unknown("Unknown login type \(type)").with(status: 400)
        }
        let user = try Self.loginUser(body)
        let password = try body.requiredString("password")
        let result = try await login(
            user: user, password: password, deviceID: try body.optionalString("device_id"),
            displayName: try body.optionalString("initial_device_display_name"), address: address)
        return loginAnswer(result)
    }

    /// The user a `/login` body names: `identifier` of type `m.id.user`, or the legacy `user`.
    static func loginUser(_ body: JSONObject) throws(MatrixError) -> String {
        if let identifier = try body.optionalObject("identifier") {
            guard try identifier.optionalString("type") == "m.id.user" else {
                throw .invalidParam("Only m.id.user identifiers are supported")
            }
            return try identifier.requiredString("user")
        }
        guard let legacy = try body.optionalString("user") else { throw .missingParam("Missing identifier") }
        return legacy
    }

    /// What `/login` answers.
    func loginAnswer(_ result: LoginResult) -> JSONValue {
        .object([
            "user_id": .string(result.userID), "access_token": .string(result.accessToken),
            "device_id": .string(result.deviceID), "home_server": .string(identity.serverName.rawValue),
        ])
    }

    /// What `/register` answers: the token and device only when a device was logged in.
    func registrationAnswer(userID: String, login: LoginResult?) -> JSONValue {
        var response: JSONObject = ["user_id": .string(userID), "home_server": .string(identity.serverName.rawValue)]
        if let login {
            response["access_token"] = .string(login.accessToken)
            response["device_id"] = .string(login.deviceID)
        }
        return .object(response)
    }
}

extension MatrixError {
    /// The same error with another HTTP status.
    public func with(status: Int) -> MatrixError {
        var copy = self
        copy.status = status
        return copy
    }
}
