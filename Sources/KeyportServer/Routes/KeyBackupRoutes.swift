import KeyportServices
import KeyportStore
import MatrixModel

/// `/room_keys/version` and `/room_keys/keys`: server-side key backups.
struct KeyBackupRoutes {
    let services: Services

    static func json(_ version: KeyBackupVersion) -> JSONValue {
        [
            "version": .string(String(version.version)), "algorithm": .string(version.algorithm),
            "auth_data": .object(version.authData), "etag": .string(String(version.etag)),
            "count": .int(Int64(version.count)),
        ]
    }

    static func json(_ counts: KeyBackupCounts) -> JSONValue {
        ["etag": .string(String(counts.etag)), "count": .int(Int64(counts.count))]
    }

    static func json(_ data: KeyBackupData) -> JSONValue {
        [
            "first_message_index": .int(data.firstMessageIndex), "forwarded_count": .int(data.forwardedCount),
            "is_verified": .bool(data.isVerified), "session_data": .object(data.sessionData),
        ]
    }

    /// The keys as `GET` answers them for `scope`: `{"rooms": {room: {"sessions": {…}}}}` for all
    /// rooms, `{"sessions": {…}}` for one room (empty when it has none), the key for one session.
    static func json(_ sessions: [KeyBackupSession], scope: KeyBackupScope) -> JSONValue {
        if case .session = scope, let first = sessions.first { return json(first.data) }
        // The store answers by room, so each room's sessions come together: build each room's
        // object once rather than copying it for every session.
        var rooms = JSONObject()
        var roomID: String?
        var room = JSONObject()
        for session in sessions {
            if let current = roomID, !current.utf8.elementsEqual(session.roomID.utf8) {
                rooms[current] = ["sessions": .object(room)]
                room = JSONObject()
            }
            roomID = session.roomID
            room[session.sessionID] = json(session.data)
        }
        if let roomID { rooms[roomID] = ["sessions": .object(room)] }
        if case .room = scope { return ["sessions": .object(room)] }
        return ["rooms": .object(rooms)]
    }

    func register(into router: inout MatrixRouter) {
        let backup = services.keyBackup

        /// # `POST /_matrix/client/v3/room_keys/version`
        router.client("POST", "/room_keys/version") { request in
            let version = try await backup.createVersion(
                userID: try request.requireSession().userID, body: request.bodyOrEmpty)
            return MatrixResponse(["version": .string(version)])
        }

        /// # `GET /_matrix/client/v3/room_keys/version`
        router.client("GET", "/room_keys/version") { request in
            MatrixResponse(
                Self.json(try await backup.version(userID: try request.requireSession().userID, version: nil)))
        }

        /// # `GET /_matrix/client/v3/room_keys/version/{version}`
        router.client("GET", "/room_keys/version/{version}") { request in
            let version = try await backup.version(
                userID: try request.requireSession().userID, version: request.parameter("version"))
            return MatrixResponse(Self.json(version))
        }

        /// # `PUT /_matrix/client/v3/room_keys/version/{version}`
        router.client("PUT", "/room_keys/version/{version}") { request in
            try await backup.updateVersion(
                userID: try request.requireSession().userID, version: request.parameter("version"),
                body: request.bodyOrEmpty)
            return MatrixResponse()
        }

        /// # `DELETE /_matrix/client/v3/room_keys/version/{version}`
        router.client("DELETE", "/room_keys/version/{version}") { request in
            try await backup.deleteVersion(
                userID: try request.requireSession().userID, version: request.parameter("version"))
            return MatrixResponse()
        }

        let scopes: [(path: String, scope: @Sendable (MatrixRequest) -> KeyBackupScope)] = [
            ("/room_keys/keys", { _ in .all }),
            ("/room_keys/keys/{roomId}", { .room($0.parameter("roomId")) }),
            (
                "/room_keys/keys/{roomId}/{sessionId}",
                { .session(roomID: $0.parameter("roomId"), sessionID: $0.parameter("sessionId")) }
            ),
        ]
        for (path, scopeOf) in scopes {
            /// # `PUT /_matrix/client/v3/room_keys/keys[/{roomId}[/{sessionId}]]`
            router.client("PUT", path) { request in
                let counts = try await backup.uploadKeys(
                    userID: try request.requireSession().userID, version: request.query["version"],
                    scope: scopeOf(request), body: request.bodyOrEmpty)
                return MatrixResponse(Self.json(counts))
            }

            /// # `GET /_matrix/client/v3/room_keys/keys[/{roomId}[/{sessionId}]]`
            router.client("GET", path) { request in
                let scope = scopeOf(request)
                let sessions = try await backup.keys(
                    userID: try request.requireSession().userID, version: request.query["version"], scope: scope)
                return MatrixResponse(Self.json(sessions, scope: scope))
            }

            /// # `DELETE /_matrix/client/v3/room_keys/keys[/{roomId}[/{sessionId}]]`
            router.client("DELETE", path) { request in
                let counts = try await backup.deleteKeys(
                    userID: try request.requireSession().userID, version: request.query["version"],
                    scope: scopeOf(request))
                return MatrixResponse(Self.json(counts))
            }
        }
    }
}
