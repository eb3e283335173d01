import KeyportServices
import MatrixModel

/// Synapse's admin API for users and devices (`/_synapse/admin`), so operators' scripts work.
/// Every route needs an admin's access token.
struct AdminRoutes {
    let services: Services

    /// What `GET /_synapse/admin/v1/server_version` reports.
    static let serverVersion = "Keyport 0.1.0"

    func register(into router: inout MatrixRouter) {
        let admin = services.admin

        /// # `GET /_synapse/admin/v1/server_version`
        router.add("GET", "/_synapse/admin/v1/server_version", access: .open) { _ in
            MatrixResponse(.object(["server_version": .string(Self.serverVersion)]))
        }

        /// # `GET /_synapse/admin/v2/users`
        router.add("GET", "/_synapse/admin/v2/users", access: .accessToken) { request in
            try await admin.requireAdmin(try request.requireSession())
            return MatrixResponse(try await admin.users(from: request.query["from"], limit: request.query["limit"]))
        }

        /// # `GET /_synapse/admin/v2/users/{userId}`
        router.add("GET", "/_synapse/admin/v2/users/{userId}", access: .accessToken) { request in
            try await admin.requireAdmin(try request.requireSession())
            return MatrixResponse(try await admin.user(request.parameter("userId")))
        }

        /// # `GET /_synapse/admin/v2/users/{userId}/devices`
        router.add("GET", "/_synapse/admin/v2/users/{userId}/devices", access: .accessToken) { request in
            try await admin.requireAdmin(try request.requireSession())
            return MatrixResponse(try await admin.devices(request.parameter("userId")))
        }

        /// # `DELETE /_synapse/admin/v2/users/{userId}/devices/{deviceId}`
        router.add("DELETE", "/_synapse/admin/v2/users/{userId}/devices/{deviceId}", access: .accessToken) { request in
            try await admin.requireAdmin(try request.requireSession())
            return MatrixResponse(
                try await admin.deleteDevices(request.parameter("userId"), deviceIDs: [request.parameter("deviceId")]))
        }

        /// # `POST /_synapse/admin/v2/users/{userId}/delete_devices`
        router.add("POST", "/_synapse/admin/v2/users/{userId}/delete_devices", access: .accessToken) { request in
            try await admin.requireAdmin(try request.requireSession())
            let devices = try request.bodyOrEmpty.requiredStringArray("devices")
            return MatrixResponse(try await admin.deleteDevices(request.parameter("userId"), deviceIDs: devices))
        }

        /// # `POST /_synapse/admin/v1/deactivate/{userId}`
        router.add("POST", "/_synapse/admin/v1/deactivate/{userId}", access: .accessToken) { request in
            try await admin.requireAdmin(try request.requireSession())
            _ = try request.bodyOrEmpty.optionalBool("erase")
            return MatrixResponse(try await admin.deactivate(request.parameter("userId")))
        }
    }
}
