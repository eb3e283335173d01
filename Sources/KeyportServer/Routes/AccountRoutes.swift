import KeyportServices
import KeyportStore
import MatrixModel

/// Registration, login, logout, password change and whoami.
struct AccountRoutes {
    let services: Services
    let loginLimiter: RateLimiter
    let registrationLimiter: RateLimiter

    func register(into router: inout MatrixRouter) {
        let accounts = services.accounts

        /// # `POST /_matrix/client/v3/register`
        router.client("POST", "/register", access: .open) { request in
            let body = request.bodyOrEmpty
            if try body.optionalString("type") == "m.login.application_service" {
                return MatrixResponse(
                    try await accounts.registerForAppService(
                        body: body, token: request.accessToken, service: request.appService))
            }
            guard request.accessToken == nil else {
                throw MatrixError.badJSON(
                    "An access token is only sent to /register by an application service (type m.login.application_service)"
                )
            }
            try await registrationLimiter.acquire(request.remoteAddress ?? "unknown")
            return MatrixResponse(try await accounts.register(body: body, kind: request.query["kind"]))
        }

        /// # `GET /_matrix/client/v3/register/available`
        router.client("GET", "/register/available", access: .open) { request in
            MatrixResponse(try await accounts.checkAvailability(username: request.query["username"]))
        }

        /// # `GET /_matrix/client/v3/login`
        let flows: [JSONValue] =
            accounts.policy.applicationServices.isEmpty
            ? [["type": "m.login.password"]] : [["type": "m.login.password"], ["type": "m.login.application_service"]]
        router.client("GET", "/login", access: .open) { _ in
            MatrixResponse(.object(["flows": .array(flows)]))
        }

        /// # `POST /_matrix/client/v3/login`
        router.client("POST", "/login", access: .open) { request in
            guard let body = request.body else { throw MatrixError.notJSON("Missing JSON body") }
            if try body.optionalString("type") == "m.login.application_service" {
                return MatrixResponse(
                    try await accounts.loginForAppService(
                        body: body, token: request.accessToken, service: request.appService))
            }
            try await loginLimiter.acquire(request.remoteAddress ?? "unknown")
            return MatrixResponse(try await accounts.login(body: body, address: request.remoteAddress))
        }

        /// # `POST /_matrix/client/v3/logout`
        router.client("POST", "/logout") { request in
            try await accounts.logout(try request.requireSession())
            return MatrixResponse()
        }

        /// # `POST /_matrix/client/v3/logout/all`
        router.client("POST", "/logout/all") { request in
            try await accounts.logoutAll(userID: try request.requireSession().userID)
            return MatrixResponse()
        }

        /// # `POST /_matrix/client/v3/account/password`
        router.client("POST", "/account/password") { request in
            try await accounts.changePassword(
                session: try request.requireSession(), accessToken: try request.requireAccessToken(),
                body: request.bodyOrEmpty, address: request.remoteAddress)
            return MatrixResponse()
        }

        /// # `GET /_matrix/client/v3/account/whoami`
        router.client("GET", "/account/whoami") { request in
            let session = try request.requireSession()
            var answer: JSONObject = ["user_id": .string(session.userID)]
            if let deviceID = session.deviceID { answer["device_id"] = .string(deviceID) }
            return MatrixResponse(.object(answer))
        }
    }
}
