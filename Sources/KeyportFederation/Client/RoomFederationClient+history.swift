public import MatrixModel

/// The endpoints that fetch a room's events and state from a server in it.
extension RoomFederationClient {
    /// # `POST /_matrix/federation/v1/get_missing_events/{roomId}`
    ///
    /// Events before `latestEvents`, walking `prev_events` breadth first, skipping
    /// `earliestEvents` (those we have), no deeper than `minDepth`, at most `limit` (taken within
    /// 1…``maxEventsPerRequest``). An answer with more events than that is refused.
    public func missingEvents(
        _ destination: String, roomID: String, earliestEvents: [String], latestEvents: [String], limit: Int,
        minDepth: Int64 = 0, timeout: Duration = .seconds(60)
    ) async throws(FederationError) -> [JSONObject] {
        let limit = Self.eventLimit(limit)
        let body: JSONObject = [
            "earliest_events": .array(earliestEvents.map { .string($0) }),
            "latest_events": .array(latestEvents.map { .string($0) }), "limit": .int(Int64(limit)),
            "min_depth": .int(minDepth),
        ]
        let reader = try await send(
            destination, "get_missing_events", method: "POST",
            path: "/_matrix/federation/v1/get_missing_events/\(Self.encoded(roomID))", body: body, timeout: timeout,
            limit: FederationResponseLimit.eventBatch)
        return try reader.pdus("events", limit: limit)
    }

    /// # `GET /_matrix/federation/v1/backfill/{roomId}?v=…&limit=…`
    ///
    /// The events `eventIDs` and those before them, at most `limit` in all (taken within
    /// 1…``maxEventsPerRequest``). An answer with more events than that is refused.
    public func backfill(
        _ destination: String, roomID: String, from eventIDs: [String], limit: Int, timeout: Duration = .seconds(60)
    ) async throws(FederationError) -> [JSONObject] {
        let limit = Self.eventLimit(limit)
        let query = (eventIDs.map { "v=\(Self.encoded($0))" } + ["limit=\(limit)"]).joined(separator: "&")
        let reader = try await send(
            destination, "backfill", method: "GET",
            path: "/_matrix/federation/v1/backfill/\(Self.encoded(roomID))?\(query)", timeout: timeout,
            limit: FederationResponseLimit.eventBatch)
        return try reader.pdus("pdus", limit: limit)
    }

    /// # `GET /_matrix/federation/v1/event/{eventId}`
    ///
    /// One event, from the transaction-shaped answer that must carry exactly one PDU. Whether it
    /// is the event asked for (its ID is its reference hash) is for the caller to check.
    public func event(
        _ destination: String, eventID: String, timeout: Duration = .seconds(30)
    ) async throws(FederationError) -> JSONObject {
        let reader = try await send(
            destination, "event", method: "GET", path: "/_matrix/federation/v1/event/\(Self.encoded(eventID))",
            timeout: timeout, limit: FederationResponseLimit.event)
        guard let pdu = try reader.pdus("pdus", limit: 1).first else { throw reader.invalid("pdus", "is empty") }
        return pdu
    }

    /// # `GET /_matrix/federation/v1/event_auth/{roomId}/{eventId}`
    ///
    /// The auth chain of an event.
    public func eventAuth(
        _ destination: String, roomID: String, eventID: String, timeout: Duration = .seconds(120)
    ) async throws(FederationError) -> [JSONObject] {
        let reader = try await send(
            destination, "event_auth", method: "GET",
            path: "/_matrix/federation/v1/event_auth/\(Self.encoded(roomID))/\(Self.encoded(eventID))",
            timeout: timeout, limit: FederationResponseLimit.eventAuth)
        return try reader.pdus("auth_chain")
    }

    /// # `GET /_matrix/federation/v1/state/{roomId}?event_id=…`
    ///
    /// The room's state before `eventID`, with its auth chain: the whole state of the room, so it
    /// is bounded by bytes (``FederationResponseLimit/roomState``) and given ten minutes, as
    /// Synapse gives it (a large room's state takes the resident server long to build).
    public func state(
        _ destination: String, roomID: String, at eventID: String, timeout: Duration = .seconds(600)
    ) async throws(FederationError) -> RoomStateAnswer {
        let reader = try await send(
            destination, "state", method: "GET",
            path: "/_matrix/federation/v1/state/\(Self.encoded(roomID))?event_id=\(Self.encoded(eventID))",
            timeout: timeout, limit: FederationResponseLimit.roomState)
        return try RoomStateAnswer(reader)
    }

    /// # `GET /_matrix/federation/v1/state_ids/{roomId}?event_id=…`
    ///
    /// The IDs of the room's state before `eventID` and of its auth chain, so only the events
    /// not held yet need fetching.
    public func stateIDs(
        _ destination: String, roomID: String, at eventID: String, timeout: Duration = .seconds(120)
    ) async throws(FederationError) -> RoomStateIDsAnswer {
        let reader = try await send(
            destination, "state_ids", method: "GET",
            path: "/_matrix/federation/v1/state_ids/\(Self.encoded(roomID))?event_id=\(Self.encoded(eventID))",
            timeout: timeout, limit: FederationResponseLimit.roomStateIDs)
        return try RoomStateIDsAnswer(reader)
    }

    /// `limit` within 1…``maxEventsPerRequest``.
    static func eventLimit(_ limit: Int) -> Int {
        min(max(limit, 1), maxEventsPerRequest)
    }
}
