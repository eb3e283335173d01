import KeyportServices
import MatrixModel

/// `/user/{userId}/account_data/{type}` and `/user/{userId}/rooms/{roomId}/account_data/{type}`.
struct AccountDataRoutes {
    let services: Services

    func register(into router: inout MatrixRouter) {
        let accountData = services.accountData

        /// # `PUT /_matrix/client/v3/user/{userId}/account_data/{type}`
        router.client("PUT", "/user/{userId}/account_data/{type}") { request in
            try await accountData.set(
                session: try request.requireSession(), userID: request.parameter("userId"), roomID: nil,
                type: request.parameter("type"), content: request.body)
            return MatrixResponse()
        }

        /// # `GET /_matrix/client/v3/user/{userId}/account_data/{type}`
        router.client("GET", "/user/{userId}/account_data/{type}") { request in
            MatrixResponse(
                .object(
                    try await accountData.get(
                        session: try request.requireSession(), userID: request.parameter("userId"), roomID: nil,
                        type: request.parameter("type"))))
        }

        /// # `PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}`
        router.client("PUT", "/user/{userId}/rooms/{roomId}/account_data/{type}") { request in
            try await accountData.set(
                session: try request.requireSession(), userID: request.parameter("userId"),
                roomID: request.parameter("roomId"), type: request.parameter("type"), content: request.body)
            return MatrixResponse()
        }

        /// # `GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}`
        router.client("GET", "/user/{userId}/rooms/{roomId}/account_data/{type}") { request in
            MatrixResponse(
                .object(
                    try await accountData.get(
                        session: try request.requireSession(), userID: request.parameter("userId"),
                        roomID: request.parameter("roomId"), type: request.parameter("type"))))
        }
    }
}
