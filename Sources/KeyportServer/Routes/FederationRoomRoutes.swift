import KeyportFederation
import KeyportServices
import MatrixModel

/// The federation endpoints that read rooms: events, state, auth chains, missing events, backfill
/// and room aliases. Every route checks `X-Matrix`; ``RoomEventQueryService`` holds the rules.
struct FederationRoomRoutes {
    let rooms: RoomEventQueryService
    let identity: ServerIdentity
    let clock: ServerClock

    func register(into router: inout MatrixRouter) {
        let prefix = "/_matrix/federation/v1"
        /// # `GET /event/{eventId}`
        router.add("GET", prefix + "/event/{eventId}", access: .federation) { request in
            let pdu = try await rooms.event(request.parameter("eventId"), origin: try request.requireOrigin())
            return MatrixResponse(.object(transaction([pdu])))
        }
        /// # `GET /state_ids/{roomId}?event_id=…`
        router.add("GET", prefix + "/state_ids/{roomId}", access: .federation) { request in
            let state = try await rooms.state(
                roomID: request.parameter("roomId"), eventID: try Self.eventID(request),
                origin: try request.requireOrigin())
            return MatrixResponse(
                .object([
                    "pdu_ids": .array(state.pduIDs.map { .string($0) }),
                    "auth_chain_ids": .array(state.authChainIDs.map { .string($0) }),
                ]))
        }
        /// # `GET /state/{roomId}?event_id=…`
        router.add("GET", prefix + "/state/{roomId}", access: .federation) { request in
            let state = try await rooms.state(
                roomID: request.parameter("roomId"), eventID: try Self.eventID(request),
                origin: try request.requireOrigin())
            return MatrixResponse(
                .object([
                    "pdus": .array(state.pdus.map { .object($0) }),
                    "auth_chain": .array(state.authChain.map { .object($0) }),
                ]))
        }
        /// # `GET /event_auth/{roomId}/{eventId}`
        router.add("GET", prefix + "/event_auth/{roomId}/{eventId}", access: .federation) { request in
            let chain = try await rooms.eventAuth(
                roomID: request.parameter("roomId"), eventID: request.parameter("eventId"),
                origin: try request.requireOrigin())
            return MatrixResponse(.object(["auth_chain": .array(chain.map { .object($0) })]))
        }
        /// # `POST /get_missing_events/{roomId}`
        router.add("POST", prefix + "/get_missing_events/{roomId}", access: .federation) { request in
            let events = try await rooms.missingEvents(
                roomID: request.parameter("roomId"), request: try MissingEventsRequest(body: request.bodyOrEmpty),
                origin: try request.requireOrigin())
            return MatrixResponse(.object(["events": .array(events.map { .object($0) })]))
        }
        /// # `GET /backfill/{roomId}?v=…&limit=…`
        router.add("GET", prefix + "/backfill/{roomId}", access: .federation) { request in
            let from = request.queryValues["v"] ?? []
            guard !from.isEmpty else { throw MatrixError.missingParam("Missing v") }
            guard let text = request.query["limit"] else { throw MatrixError.missingParam("Missing limit") }
            guard let limit = Int(text), limit > 0 else {
                throw MatrixError.invalidParam("limit must be a positive integer")
            }
            let pdus = try await rooms.backfill(
                roomID: request.parameter("roomId"), from: from, limit: limit, origin: try request.requireOrigin())
            return MatrixResponse(.object(transaction(pdus)))
        }
        /// # `GET /query/directory?room_alias=…`
        router.add("GET", prefix + "/query/directory", access: .federation) { request in
            guard let alias = request.query["room_alias"] else { throw MatrixError.missingParam("Missing room_alias") }
            let entry = try await rooms.directory(alias: alias)
            return MatrixResponse(
                .object(["room_id": .string(entry.roomID), "servers": .array(entry.servers.map { .string($0) })]))
        }
    }

    /// The `event_id` query parameter: 400 `M_MISSING_PARAM` without it.
    private static func eventID(_ request: MatrixRequest) throws(MatrixError) -> String {
        guard let eventID = request.query["event_id"] else { throw .missingParam("Missing event_id") }
        return eventID
    }

    /// PDUs in the shape of a transaction: `origin`, `origin_server_ts` and `pdus`.
    private func transaction(_ pdus: [JSONObject]) -> JSONObject {
        [
            "origin": .string(identity.serverName.rawValue), "origin_server_ts": .int(clock.now()),
            "pdus": .array(pdus.map { .object($0) }),
        ]
    }
}
