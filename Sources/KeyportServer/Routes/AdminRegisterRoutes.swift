import KeyportServices
import MatrixModel

/// Synapse's shared-secret registration, so `register_new_matrix_user` works against Keyport.
struct AdminRegisterRoutes {
    let services: Services

    func register(into router: inout MatrixRouter) {
        let sharedSecret = services.sharedSecret
        let accounts = services.accounts

        /// # `GET /_synapse/admin/v1/register`
        router.add("GET", "/_synapse/admin/v1/register", access: .open) { _ in
            MatrixResponse(.object(["nonce": .string(try await sharedSecret.issueNonce())]))
        }

        /// # `POST /_synapse/admin/v1/register`
        router.add("POST", "/_synapse/admin/v1/register", access: .open) { request in
            let body = request.bodyOrEmpty
            let username = try body.requiredString("username")
            let password = try body.requiredString("password")
            let admin = try body.optionalBool("admin") ?? false
            let userType = try body.optionalString("user_type")
            guard !username.contains("\u{0}"), !password.contains("\u{0}") else {
                throw MatrixError.invalidParam("Invalid username or password")
            }
            try await sharedSecret.verify(
                nonce: try body.requiredString("nonce"), username: username, password: password, admin: admin,
                userType: userType, mac: try body.requiredString("mac"))
            let userID = try accounts.newUserID(localpart: username.lowercased())
            try await accounts.ensureAvailable(userID)
            let (registered, login) = try await accounts.register(
                userID: userID, password: password, isAdmin: admin, deviceID: nil,
                displayName: try body.optionalString("displayname"), inhibitLogin: false)
            return MatrixResponse(
                .object([
                    "user_id": .string(registered), "access_token": .string(login?.accessToken ?? ""),
                    "device_id": .string(login?.deviceID ?? ""),
                    "home_server": .string(services.identity.serverName.rawValue),
                ]))
        }
    }
}
