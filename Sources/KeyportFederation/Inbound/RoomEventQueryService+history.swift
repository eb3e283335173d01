import KeyportStore
public import MatrixModel

extension RoomEventQueryService {
    /// The most events one `/backfill` answer holds, as in Synapse.
    public static let maxBackfillLimit = 100

    /// # `POST /_matrix/federation/v1/get_missing_events/{roomId}`
    ///
    /// A breadth-first walk of `prev_events` back from `latest_events` (which are not returned
    /// themselves unless one is a prev event of another), never entering `earliest_events`, stopping
    /// at `limit` events and at events below `min_depth`, as Synapse's `_get_missing_events` walks:
    /// one generation of prev events after another, each event's prev events in their order. The
    /// answer is the walk reversed, so the oldest generation comes first. Events this server does not
    /// hold, or of another room, end the walk on their branch; rejected events are walked through but
    /// not returned. The server must be in the room now.
    public func missingEvents(roomID: String, request: MissingEventsRequest, origin: String) async throws
        -> [JSONObject]
    {
        let view = try await self.view(of: roomID, for: origin)
        try await requireInRoom(view, roomID: roomID)
        var seen = Set(request.earliestEvents)
        var front = try await eventsOfRoom(request.latestEvents.filter { !seen.contains($0) }, roomID: roomID)
        var found: [RoomEvent] = []
        while !front.isEmpty, found.count < request.limit {
            var generation: [String] = []
            for event in front {
                for prev in event.prevEvents where seen.insert(prev).inserted { generation.append(prev) }
            }
            let events = try await store.events(Set(generation))
            var next: [RoomEvent] = []
            for id in generation where found.count < request.limit {
                guard let event = events[id], event.roomID == roomID, event.depth >= request.minDepth else { continue }
                next.append(event)
                if event.rejectedReason == nil { found.append(event) }
            }
            front = next
        }
        var served: [JSONObject] = []
        for event in found.reversed() { served.append(try await view.served(event)) }
        return served
    }

    /// # `GET /_matrix/federation/v1/backfill/{roomId}?v=…&limit=…`
    ///
    /// The events `from` and those before them, at most `limit` (capped at
    /// ``maxBackfillLimit``), newest first, as Synapse's `_get_backfill_events` picks them: always the
    /// deepest event not yet taken (the later stream position first among equal depths), then its
    /// prev events join the candidates; outliers are not walked to (the state at them is unknown, so
    /// visibility cannot be judged), rejected events are walked through but not returned, and events
    /// of other rooms are ignored. Events the server may not read are redacted. The server must be in
    /// the room now.
    public func backfill(roomID: String, from: [String], limit: Int, origin: String) async throws -> [JSONObject] {
        let view = try await self.view(of: roomID, for: origin)
        try await requireInRoom(view, roomID: roomID)
        for id in from { try Self.checkEventID(id) }
        let limit = min(limit, Self.maxBackfillLimit)
        var candidates = try await eventsOfRoom(from, roomID: roomID)
        var taken = Set<String>()
        var found: [RoomEvent] = []
        while found.count < limit, let event = Self.takeNewest(&candidates) {
            guard taken.insert(event.eventID).inserted else { continue }
            if event.rejectedReason == nil { found.append(event) }
            let prevs = Set(event.prevEvents).subtracting(taken)
            candidates += try await store.events(prevs).values.filter { $0.roomID == roomID && !$0.outlier }
        }
        var served: [JSONObject] = []
        for event in found.sorted(by: { Self.isOlder($1, $0) }) { served.append(try await view.served(event)) }
        return served
    }

    /// The stored events of the room among `ids`, in the order given, each once.
    private func eventsOfRoom(_ ids: [String], roomID: String) async throws -> [RoomEvent] {
        let events = try await store.events(Set(ids))
        var given = Set<String>()
        return ids.compactMap { id in
            guard given.insert(id).inserted, let event = events[id], event.roomID == roomID else { return nil }
            return event
        }
    }

    /// Removes and returns the newest candidate: the deepest, the later stream position first.
    private static func takeNewest(_ candidates: inout [RoomEvent]) -> RoomEvent? {
        guard let newest = candidates.indices.max(by: { isOlder(candidates[$0], candidates[$1]) }) else { return nil }
        return candidates.remove(at: newest)
    }

    /// Lower in the DAG: the smaller depth, then the earlier stream position.
    private static func isOlder(_ lhs: RoomEvent, _ rhs: RoomEvent) -> Bool {
        (lhs.depth, lhs.ordering) < (rhs.depth, rhs.ordering)
    }
}
