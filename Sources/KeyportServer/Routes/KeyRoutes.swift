import KeyportServices
import KeyportStore
import MatrixModel

/// `/keys/upload`, `/keys/query`, `/keys/claim`, `/keys/changes`.
struct KeyRoutes {
    let services: Services
    let claimLimiter: RateLimiter

    func register(into router: inout MatrixRouter) {
        let keys = services.keys
        let deviceLists = services.deviceLists

        /// # `POST /_matrix/client/v3/keys/upload`
        router.client("POST", "/keys/upload") { request in
            let counts = try await keys.upload(session: try request.requireSession(), body: request.bodyOrEmpty)
            return MatrixResponse(
                .object(["one_time_key_counts": .object(JSONObject(counts.mapValues { .int(Int64($0)) }))]))
        }

        /// # `POST /_matrix/client/v3/keys/query`
        router.client("POST", "/keys/query") { request in
            MatrixResponse(
                try await keys.query(requester: try request.requireSession().userID, body: request.bodyOrEmpty))
        }

        /// # `POST /_matrix/client/v3/keys/claim`
        router.client("POST", "/keys/claim") { request in
            // An application service registered with `rate_limited: false` is not held back.
            let session = try request.requireSession()
            if request.appService?.rateLimited != false { try await claimLimiter.acquire(session.userID) }
            return MatrixResponse(try await keys.claim(body: request.bodyOrEmpty))
        }

        /// # `GET /_matrix/client/v3/keys/changes`
        router.client("GET", "/keys/changes") { request in
            MatrixResponse(
                try await deviceLists.keyChanges(
                    for: try request.requireSession().userID, from: request.query["from"], to: request.query["to"]))
        }
    }
}
