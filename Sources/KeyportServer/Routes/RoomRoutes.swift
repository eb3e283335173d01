import KeyportServices
import KeyportStore
import MatrixModel

/// Local rooms: create, membership, state, messages.
struct RoomRoutes {
    let services: Services

    func register(into router: inout MatrixRouter) {
        let rooms = services.rooms
        let clock = services.clock

        /// # `POST /_matrix/client/v3/createRoom`
        router.client("POST", "/createRoom") { request in
            MatrixResponse(try await rooms.createRoom(session: try request.requireSession(), body: request.bodyOrEmpty))
        }

        /// # `POST /_matrix/client/v3/rooms/{roomId}/invite`
        router.client("POST", "/rooms/{roomId}/invite") { request in
            try await rooms.invite(
                session: try request.requireSession(), roomID: request.parameter("roomId"), body: request.bodyOrEmpty)
            return MatrixResponse()
        }

        /// # `POST /_matrix/client/v3/rooms/{roomId}/kick`, `/ban`, `/unban`
        for action in [RoomService.Moderation.kick, .ban, .unban] {
            router.client("POST", "/rooms/{roomId}/\(action.rawValue)") { request in
                try await rooms.moderate(
                    action, session: try request.requireSession(), roomID: request.parameter("roomId"),
                    body: request.bodyOrEmpty)
                return MatrixResponse()
            }
        }

        /// # `POST /_matrix/client/v3/join/{roomIdOrAlias}`
        router.client("POST", "/join/{roomIdOrAlias}") { request in
            let roomID = try await rooms.join(
                session: try request.requireSession(), roomIDOrAlias: request.parameter("roomIdOrAlias"),
                servers: (request.queryValues["via"] ?? []) + (request.queryValues["server_name"] ?? []))
            return MatrixResponse(.object(["room_id": .string(roomID)]))
        }

        /// # `POST /_matrix/client/v3/rooms/{roomId}/join`
        router.client("POST", "/rooms/{roomId}/join") { request in
            let roomID = try await rooms.join(
                session: try request.requireSession(), roomIDOrAlias: request.parameter("roomId"))
            return MatrixResponse(.object(["room_id": .string(roomID)]))
        }

        /// # `POST /_matrix/client/v3/rooms/{roomId}/leave`
        router.client("POST", "/rooms/{roomId}/leave") { request in
            try await rooms.leave(session: try request.requireSession(), roomID: request.parameter("roomId"))
            return MatrixResponse()
        }

        /// # `GET /_matrix/client/v3/joined_rooms`
        router.client("GET", "/joined_rooms") { request in
            let joined = try await rooms.joinedRooms(userID: try request.requireSession().userID)
            return MatrixResponse(.object(["joined_rooms": .array(joined.map(JSONValue.string))]))
        }

        /// # `GET /_matrix/client/v3/rooms/{roomId}/joined_members`
        router.client("GET", "/rooms/{roomId}/joined_members") { request in
            let members = try await rooms.memberEvents(
                session: try request.requireSession(), roomID: request.parameter("roomId"))
            var joined: JSONObject = [:]
            for event in members where event.content["membership"] == "join" {
                var profile: JSONObject = [:]
                if let name = event.content["displayname"], !name.isNull { profile["display_name"] = name }
                if let avatar = event.content["avatar_url"], !avatar.isNull { profile["avatar_url"] = avatar }
                joined[event.stateKey ?? ""] = .object(profile)
            }
            return MatrixResponse(.object(["joined": .object(joined)]))
        }

        /// # `GET /_matrix/client/v3/rooms/{roomId}/members`
        router.client("GET", "/rooms/{roomId}/members") { request in
            let session = try request.requireSession()
            let members = try await rooms.memberEvents(session: session, roomID: request.parameter("roomId"))
            let now = clock.now()
            return MatrixResponse(
                .object(["chunk": .array(members.map { ClientEventFormat.json($0, viewer: session, now: now) })]))
        }

        /// # `GET /_matrix/client/v3/rooms/{roomId}/state`
        router.client("GET", "/rooms/{roomId}/state") { request in
            let session = try request.requireSession()
            let state = try await rooms.state(session: session, roomID: request.parameter("roomId"))
            let now = clock.now()
            return MatrixResponse(.array(state.map { ClientEventFormat.json($0, viewer: session, now: now) }))
        }

        for path in ["/rooms/{roomId}/state/{eventType}", "/rooms/{roomId}/state/{eventType}/{stateKey}"] {
            /// # `GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`
            /// The content, or with `format=event` the whole event (as Synapse serves it; bridges
            /// read the create event so).
            router.client("GET", path) { request in
                let format = request.query["format"] ?? "content"
                guard format == "content" || format == "event" else {
                    throw MatrixError.invalidParam("format must be 'content' or 'event'")
                }
                let session = try request.requireSession()
                let event = try await rooms.stateEvent(
                    session: session, roomID: request.parameter("roomId"), type: request.parameter("eventType"),
                    stateKey: request.parameters["stateKey"] ?? "")
                guard format == "event" else { return MatrixResponse(.object(event.content)) }
                return MatrixResponse(ClientEventFormat.json(event, viewer: session, now: clock.now()))
            }

            /// # `PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`
            router.client("PUT", path) { request in
                let eventID = try await rooms.setState(
                    session: try request.requireSession(), roomID: request.parameter("roomId"),
                    type: request.parameter("eventType"), stateKey: request.parameters["stateKey"] ?? "",
                    content: request.bodyOrEmpty)
                return MatrixResponse(.object(["event_id": .string(eventID)]))
            }
        }

        /// # `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}`
        router.client("PUT", "/rooms/{roomId}/send/{eventType}/{txnId}") { request in
            let eventID = try await rooms.send(
                session: try request.requireSession(), roomID: request.parameter("roomId"),
                type: request.parameter("eventType"), transactionID: request.parameter("txnId"),
                content: request.bodyOrEmpty)
            return MatrixResponse(.object(["event_id": .string(eventID)]))
        }

        /// # `GET /_matrix/client/v3/rooms/{roomId}/messages`
        router.client("GET", "/rooms/{roomId}/messages") { request in
            let session = try request.requireSession()
            let limit = request.query["limit"].flatMap(Int.init) ?? 10
            let page = try await rooms.messages(
                session: session, roomID: request.parameter("roomId"), from: request.query["from"],
                dir: request.query["dir"] ?? "b", limit: limit)
            let now = clock.now()
            var body: JSONObject = [
                "chunk": .array(page.events.map { ClientEventFormat.json($0, viewer: session, now: now) }),
                "start": .string(page.start), "state": [],
            ]
            if let end = page.end { body["end"] = .string(end) }
            return MatrixResponse(.object(body))
        }
    }
}
