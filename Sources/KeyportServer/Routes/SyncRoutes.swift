import KeyportServices
import KeyportStore
import MatrixModel

/// `GET /sync` and the filter endpoints it reads.
struct SyncRoutes {
    let services: Services

    func register(into router: inout MatrixRouter) {
        let sync = services.sync
        let filters = services.filters

        /// # `GET /_matrix/client/v3/sync`
        router.client("GET", "/sync") { request in
            let session = try request.requireSession()
            var since: StreamToken?
            if let text = request.query["since"], !text.isEmpty {
                guard let token = StreamToken(text) else { throw MatrixError.invalidParam("Invalid 'since' token") }
                since = token
            }
            var timeout = Duration.zero
            if let text = request.query["timeout"] {
                guard let milliseconds = Int64(text), milliseconds >= 0 else {
                    throw MatrixError.invalidParam("'timeout' must be a number of milliseconds")
                }
                timeout = .milliseconds(min(milliseconds, 3_600_000))
            }
            let filter = try await filters.resolve(request.query["filter"], session: session)
            let timeline = filter["room"]?["timeline"]?["limit"]?.intValue ?? 10
            let syncRequest = SyncService.Request(
                since: since, timeout: timeout, fullState: request.query["full_state"] == "true",
                timelineLimit: Int(max(1, min(timeline, 1000))),
                includeLeave: filter["room"]?["include_leave"]?.boolValue ?? false)
            return MatrixResponse(try await sync.sync(session: session, request: syncRequest))
        }

        /// # `POST /_matrix/client/v3/user/{userId}/filter`
        router.client("POST", "/user/{userId}/filter") { request in
            let filterID = try await filters.save(
                session: try request.requireSession(), userID: request.parameter("userId"), filter: request.bodyOrEmpty)
            return MatrixResponse(.object(["filter_id": .string(filterID)]))
        }

        /// # `GET /_matrix/client/v3/user/{userId}/filter/{filterId}`
        router.client("GET", "/user/{userId}/filter/{filterId}") { request in
            let filter = try await filters.filter(
                session: try request.requireSession(), userID: request.parameter("userId"),
                filterID: request.parameter("filterId"))
            return MatrixResponse(.object(filter))
        }
    }
}
