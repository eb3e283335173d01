import KeyportStore
public import MatrixModel

extension AccountService {
    /// `POST /register` with `type: m.login.application_service`: an application service registers
    /// one of its users, authenticated by its `as_token` (`token` is the bearer token the request
    /// carried, `service` the service it names, if any). As in Synapse: no user-interactive auth and
    /// no password (the user logs in through the service); the username is taken as given, not
    /// lowercased, and may start with `_`; it must be the service's sender or match its namespaces,
    /// and may not be in another service's exclusive namespace.
    public func registerForAppService(body: JSONObject, token: String?, service: ApplicationService?) async throws
        -> JSONValue
    {
        guard token != nil else {
            throw MatrixError(
                status: 400, errcode: "M_MISSING_TOKEN",
                "Appservice token must be provided when using a type of m.login.application_service")
        }
        guard let service else { throw MatrixError.unknownToken() }
        guard let username = try body.optionalString("username") else {
            throw MatrixError.missingParam("Desired username is missing or not a string")
        }
        guard let userID = UserID(localpart: username, serverName: identity.serverName) else {
            throw MatrixError.invalidUsername("'\(username)' does not make a valid user ID")
        }
        guard service.isInterested(inUser: userID.rawValue) else {
            throw MatrixError.exclusive("Invalid user localpart for this application service.")
        }
        if let owner = policy.applicationServices.exclusiveOwner(ofUser: userID.rawValue), owner.id != service.id {
            throw MatrixError.exclusive("This user ID is reserved by another application service.")
        }
        try await ensureAvailable(userID)
        let (registered, login) = try await register(
            userID: userID, password: nil, deviceID: try body.optionalString("device_id"),
            displayName: try body.optionalString("initial_device_display_name"),
            inhibitLogin: try body.optionalBool("inhibit_login") ?? false)
        return registrationAnswer(userID: registered, login: login)
    }

    /// `POST /login` with `type: m.login.application_service`: the service logs one of its users
    /// in (its sender or a user its namespaces match), with no password, as Synapse allows.
    public func loginForAppService(body: JSONObject, token: String?, service: ApplicationService?) async throws
        -> JSONValue
    {
        guard token != nil else { throw MatrixError.missingToken() }
        guard let service else { throw MatrixError.unknownToken() }
        let user = try Self.loginUser(body)
        // The localpart is taken as the service wrote it, as at its registration.
        let candidate = user.hasPrefix("@") ? user : "@\(user):\(identity.serverName.rawValue)"
        guard let userID = UserID(candidate), identity.isLocal(userID) else {
            throw MatrixError.forbidden("Invalid username")
        }
        guard service.isInterested(inUser: userID.rawValue) else {
            throw MatrixError.exclusive("Invalid user for this application service.").with(status: 403)
        }
        guard let account = try await store.account(userID: userID.rawValue), !account.deactivated else {
            throw MatrixError.forbidden("Invalid username")
        }
        if let deviceID = try body.optionalString("device_id") { try Self.validateDeviceID(deviceID) }
        let result = try await startSession(
            userID: userID.rawValue, deviceID: try body.optionalString("device_id"),
            displayName: try body.optionalString("initial_device_display_name"))
        return loginAnswer(result)
    }
}
