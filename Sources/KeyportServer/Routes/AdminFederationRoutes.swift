import KeyportFederation
import KeyportServices
import MatrixModel

/// Synapse's admin API for federation destinations: their retry state and a reset. Admins only.
struct AdminFederationRoutes {
    let admin: AdminService
    let sender: FederationSender

    func register(into router: inout MatrixRouter) {
        let admin = admin
        let sender = sender

        /// # `GET /_synapse/admin/v1/federation/destinations`
        router.add("GET", "/_synapse/admin/v1/federation/destinations", access: .accessToken) { request in
            try await admin.requireAdmin(try request.requireSession())
            let offset = try AdminService.nonNegative(request.query["from"], name: "from", default: 0)
            let limit = try AdminService.nonNegative(request.query["limit"], name: "limit", default: 100)
            let all = try await sender.destinationStates()
            let page = all.dropFirst(offset).prefix(limit)
            var answer: JSONObject = [
                "destinations": .array(page.map { .object(Self.shape($0)) }), "total": .int(Int64(all.count)),
            ]
            if offset + page.count < all.count, !page.isEmpty {
                answer["next_token"] = .string(String(offset + page.count))
            }
            return MatrixResponse(.object(answer))
        }

        /// # `GET /_synapse/admin/v1/federation/destinations/{destination}`
        router.add("GET", "/_synapse/admin/v1/federation/destinations/{destination}", access: .accessToken) {
            request in
            try await admin.requireAdmin(try request.requireSession())
            let name = request.parameter("destination")
            guard let state = try await sender.destinationStates().first(where: { $0.destination == name }) else {
                throw MatrixError.notFound("Unknown destination")
            }
            return MatrixResponse(.object(Self.shape(state)))
        }

        /// # `POST /_synapse/admin/v1/federation/destinations/{destination}/reset_connection`
        router.add(
            "POST", "/_synapse/admin/v1/federation/destinations/{destination}/reset_connection", access: .accessToken
        ) { request in
            try await admin.requireAdmin(try request.requireSession())
            let name = request.parameter("destination")
            guard try await sender.destinationStates().contains(where: { $0.destination == name }) else {
                throw MatrixError.notFound("Unknown destination")
            }
            guard try await sender.resetConnection(name) else {
                throw MatrixError(
                    status: 400, errcode: "M_UNKNOWN",
                    "The retry timing does not need to be reset for this destination.")
            }
            return MatrixResponse(.object([:]))
        }
    }

    /// Synapse's fields: zeros and null while the destination is not backed off.
    static func shape(_ state: DestinationState) -> JSONObject {
        [
            "destination": .string(state.destination),
            "retry_last_ts": .int(state.backoff?.retryLastTS ?? 0),
            "retry_interval": .int(state.backoff?.retryInterval ?? 0),
            "failure_ts": state.backoff.map { .int($0.failureTS) } ?? .null,
            "last_successful_stream_ordering": .null,
        ]
    }
}
