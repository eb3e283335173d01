import KeyportFederation
import KeyportServices
import MatrixModel

/// The federation endpoints for devices, keys and transactions. Every route checks `X-Matrix`.
struct FederationRoutes {
    let queries: FederationQueryService
    let transactions: TransactionService
    let profiles: ProfileService
    let joins: JoinHostingService
    let invites: InviteService
    let leaves: LeaveHostingService
    /// `rc_federation_key_claim`, per origin server: every claim uses up keys a peer cannot give back.
    let claimLimiter: RateLimiter

    func register(into router: inout MatrixRouter) {
        let prefix = "/_matrix/federation/v1"
        /// # `GET /user/devices/{userId}`
        router.add("GET", prefix + "/user/devices/{userId}", access: .federation) { request in
            MatrixResponse(.object(try await queries.userDevices(userID: request.parameter("userId"))))
        }
        /// # `POST /user/keys/query`
        router.add("POST", prefix + "/user/keys/query", access: .federation) { request in
            MatrixResponse(.object(try await queries.queryKeys(body: request.bodyOrEmpty)))
        }
        /// # `POST /user/keys/claim`
        router.add("POST", prefix + "/user/keys/claim", access: .federation) { request in
            try await claimLimiter.acquire(try request.requireOrigin())
            return MatrixResponse(.object(try await queries.claimKeys(body: request.bodyOrEmpty)))
        }
        /// # `GET /query/profile?user_id=…[&field=displayname|avatar_url]`
        router.add("GET", prefix + "/query/profile", access: .federation) { request in
            guard let userID = request.query["user_id"] else { throw MatrixError.missingParam("Missing user_id") }
            let field = request.query["field"]
            if let field, field != "displayname", field != "avatar_url" {
                throw MatrixError.invalidParam("Unknown profile field \(field)")
            }
            return MatrixResponse(
                .object(ProfileService.json(try await profiles.localProfile(of: userID), field: field)))
        }
        /// # `GET /make_join/{roomId}/{userId}?ver=…`
        router.add("GET", prefix + "/make_join/{roomId}/{userId}", access: .federation) { request in
            MatrixResponse(
                .object(
                    try await joins.makeJoin(
                        origin: try request.requireOrigin(), roomID: request.parameter("roomId"),
                        userID: request.parameter("userId"), versions: request.queryValues["ver"] ?? [])))
        }
        /// # `PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}`
        router.add("PUT", "/_matrix/federation/v2/send_join/{roomId}/{eventId}", access: .federation) { request in
            MatrixResponse(
                .object(
                    try await joins.sendJoin(
                        origin: try request.requireOrigin(), roomID: request.parameter("roomId"),
                        eventID: request.parameter("eventId"), body: request.bodyOrEmpty)))
        }
        /// # `PUT /_matrix/federation/v2/invite/{roomId}/{eventId}`
        router.add("PUT", "/_matrix/federation/v2/invite/{roomId}/{eventId}", access: .federation) { request in
            MatrixResponse(
                .object(
                    try await invites.receive(
                        origin: try request.requireOrigin(), roomID: request.parameter("roomId"),
                        eventID: request.parameter("eventId"), body: request.bodyOrEmpty)))
        }
        /// # `GET /make_leave/{roomId}/{userId}`
        router.add("GET", prefix + "/make_leave/{roomId}/{userId}", access: .federation) { request in
            MatrixResponse(
                .object(
                    try await leaves.makeLeave(
                        origin: try request.requireOrigin(), roomID: request.parameter("roomId"),
                        userID: request.parameter("userId"))))
        }
        /// # `PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}`
        router.add("PUT", "/_matrix/federation/v2/send_leave/{roomId}/{eventId}", access: .federation) { request in
            MatrixResponse(
                .object(
                    try await leaves.sendLeave(
                        origin: try request.requireOrigin(), roomID: request.parameter("roomId"),
                        eventID: request.parameter("eventId"), body: request.bodyOrEmpty)))
        }
        /// # `GET /make_knock/…`, `PUT /send_knock/…`: knocking is out of scope, refused plainly.
        for (method, path) in [
            ("GET", prefix + "/make_knock/{roomId}/{userId}"), ("PUT", prefix + "/send_knock/{roomId}/{eventId}"),
        ] {
            router.add(method, path, access: .federation) { _ in
                throw MatrixError.forbidden("Knocking is not supported by this server")
            }
        }
        /// # `PUT /send/{txnId}`
        router.add("PUT", prefix + "/send/{txnId}", access: .federation) { request in
            let origin = try request.requireOrigin()
            return MatrixResponse(
                .object(
                    try await transactions.receive(
                        origin: origin, transactionID: request.parameter("txnId"), body: request.bodyOrEmpty)))
        }
    }
}
