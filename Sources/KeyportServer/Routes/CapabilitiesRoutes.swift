import KeyportServices
import MatrixModel

/// `GET /capabilities`: what this server lets a client do, as it really does it.
struct CapabilitiesRoutes {
    /// The answer, built from the rules it describes so it cannot drift from them.
    static var capabilities: JSONObject {
        let versions = RoomService.supportedRoomVersions.sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        return [
            // `POST /account/password`, with the current password as user-interactive auth.
            "m.change_password": ["enabled": true],
            "m.room_versions": [
                "default": .string(RoomService.defaultRoomVersion),
                "available": .object(
                    JSONObject(Dictionary(uniqueKeysWithValues: versions.map { ($0, JSONValue.string("stable")) }))),
            ],
            "m.set_displayname": ["enabled": true],
            "m.set_avatar_url": ["enabled": true],
            "m.3pid_changes": ["enabled": false],
            "m.get_login_token": ["enabled": false],
        ]
    }

    func register(into router: inout MatrixRouter) {
        /// # `GET /_matrix/client/v3/capabilities`
        router.client("GET", "/capabilities") { request in
            _ = try request.requireSession()
            return MatrixResponse(.object(["capabilities": .object(Self.capabilities)]))
        }
    }
}
