public import MatrixModel

extension AccountService {
    /// The flow that sensitive operations (device deletion, replacing cross-signing keys) need.
    public static let passwordFlows: [UserInteractiveAuth.Flow] = [["m.login.password"]]

    /// Passes if `auth` completes `m.login.password` for `userID`. Otherwise throws the 401
    /// challenge (with `M_FORBIDDEN` for a wrong password), or 403 if `auth` names another user.
    /// Wrong passwords count against the user's and `address`'s failed attempts, as at login.
    public func requirePassword(auth: JSONObject?, userID: String, address: String? = nil) async throws {
        guard let auth else { throw try await interactiveAuth.challenge(flows: Self.passwordFlows) }
        let session = try auth.optionalString("session")
        guard try auth.optionalString("type") == "m.login.password" else {
            throw try await interactiveAuth.challenge(flows: Self.passwordFlows, session: session)
        }
        let user: String
        if let identifier = try auth.optionalObject("identifier") {
            guard try identifier.optionalString("type") == "m.id.user",
                let named = try identifier.optionalString("user")
            else { throw MatrixError.badJSON("Unsupported identifier for m.login.password") }
            user = named
        } else if let named = try auth.optionalString("user") {
            user = named
        } else {
            user = userID
        }
        guard let named = try? resolveLocalUser(user), named == userID else {
            throw MatrixError.forbidden("Requested user is not the authenticated user")
        }
        guard let password = try auth.optionalString("password") else {
            throw try await interactiveAuth.challenge(flows: Self.passwordFlows, session: session)
        }
        do {
            try await checkPassword(userID: userID, password: password, address: address)
        } catch let error as MatrixError where error.status == 403 {
            throw try await interactiveAuth.challenge(flows: Self.passwordFlows, session: session, error: error)
        }
        try await interactiveAuth.complete(stage: "m.login.password", session: session)
    }
}
