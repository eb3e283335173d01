import KeyportServices
import MatrixModel

/// `/profile/{userId}` and its `displayname` and `avatar_url` fields.
struct ProfileRoutes {
    let services: Services

    func register(into router: inout MatrixRouter) {
        let profiles = services.profiles

        // Profiles are public, as on Synapse by default (`require_auth_for_profile_requests: false`).
        /// # `GET /_matrix/client/v3/profile/{userId}`
        router.client("GET", "/profile/{userId}", access: .open) { request in
            MatrixResponse(.object(ProfileService.json(try await profiles.profile(of: request.parameter("userId")))))
        }

        for field in ["displayname", "avatar_url"] {
            /// # `GET /_matrix/client/v3/profile/{userId}/{field}`
            router.client("GET", "/profile/{userId}/\(field)", access: .open) { request in
                let profile = try await profiles.profile(of: request.parameter("userId"))
                let object = ProfileService.json(profile, field: field)
                guard !object.isEmpty else { throw MatrixError.notFound("The user has no \(field)") }
                return MatrixResponse(.object(object))
            }

            /// # `PUT /_matrix/client/v3/profile/{userId}/{field}`
            router.client("PUT", "/profile/{userId}/\(field)") { request in
                try await profiles.set(
                    session: try request.requireSession(), userID: request.parameter("userId"), field: field,
                    body: request.bodyOrEmpty)
                return MatrixResponse()
            }
        }
    }
}
