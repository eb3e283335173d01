public import KeyportServices
public import KeyportStore
public import MatrixModel
import MatrixRooms

/// What other servers may read of the rooms this server is in: single events, the state and auth
/// chain at an event, missing events, backfill, and local room aliases
/// (https://spec.matrix.org/v1.16/server-server-api/#retrieving-events).
///
/// Every PDU is served as stored, never re-serialised from its fields, except that an event the
/// asking server may not read (history visibility, see ``ServerRoomView``) is served redacted on
/// `/event`, `/get_missing_events` and `/backfill`, as Synapse does; state and auth chains are
/// served in full, as in Synapse. Rejected events are never served; outliers are. The asking server
/// must be in the room: a user of it joined in the current state or, for a request about one event,
/// in the state at that event; otherwise 403 `M_FORBIDDEN`. An unknown room, an unknown event or an
/// event of another room than the one asked about is 404 `M_NOT_FOUND`.
public struct RoomEventQueryService: Sendable {
    let store: any RoomStore
    let identity: ServerIdentity

    public init(store: any RoomStore, identity: ServerIdentity) {
        self.store = store
        self.identity = identity
    }

    /// # `GET /_matrix/federation/v1/event/{eventId}`
    ///
    /// The PDU, redacted if the server may not read it; the server must be in the event's room.
    public func event(_ eventID: String, origin: String) async throws -> JSONObject {
        try Self.checkEventID(eventID)
        guard let event = try await store.events([eventID])[eventID], event.rejectedReason == nil else {
            throw MatrixError.notFound("Unknown event \(eventID)")
        }
        let view = try await self.view(of: event.roomID, for: origin)
        try await requireInRoom(view, roomID: event.roomID, orAt: event)
        return try await view.served(event)
    }

    /// # `GET /_matrix/federation/v1/event_auth/{roomId}/{eventId}`
    ///
    /// The event's auth chain (its auth events and theirs, recursively, without the event itself),
    /// oldest first.
    public func eventAuth(roomID: String, eventID: String, origin: String) async throws -> [JSONObject] {
        let (view, event) = try await accessibleEvent(eventID, roomID: roomID, origin: origin)
        let chain = try await authChain(below: [event], version: view.version)
        return try await servableEvents(chain, roomID: roomID).map(\.pdu)
    }

    // MARK: - Shared checks

    /// The view of a room for the asking server; 404 for an unknown room (or one not yet rebuilt
    /// as PDUs).
    func view(of roomID: String, for origin: String) async throws -> ServerRoomView {
        try Self.checkRoomID(roomID)
        guard let name = try await store.roomVersion(roomID: roomID), let version = RoomVersion.named(name) else {
            throw MatrixError.notFound("Unknown room \(roomID)")
        }
        return ServerRoomView(store: store, server: origin, version: version)
    }

    /// 403 unless the server is in the room now, or was at `event`.
    func requireInRoom(_ view: ServerRoomView, roomID: String, orAt event: RoomEvent? = nil) async throws {
        if try await view.isJoinedNow(roomID: roomID) { return }
        if let event, try await view.isJoined(at: event) { return }
        throw MatrixError.forbidden("\(view.server) is not in room \(roomID)")
    }

    /// An event of the room that the asking server may ask about: 404 when the room is unknown;
    /// then, for a server in the room now, 404 when the event is unknown, rejected or of another
    /// room; for any other server 403 unless it was in the room at that event, so a server outside
    /// the room learns nothing of which events exist.
    func accessibleEvent(_ eventID: String, roomID: String, origin: String) async throws
        -> (ServerRoomView, RoomEvent)
    {
        let view = try await self.view(of: roomID, for: origin)
        try Self.checkEventID(eventID)
        var event = try await store.events([eventID])[eventID]
        if let found = event, found.roomID != roomID || found.rejectedReason != nil { event = nil }
        if try await view.isJoinedNow(roomID: roomID) {
            guard let event else { throw MatrixError.notFound("Unknown event \(eventID) in room \(roomID)") }
            return (view, event)
        }
        guard let event, try await view.isJoined(at: event) else {
            throw MatrixError.forbidden("\(origin) is not in room \(roomID)")
        }
        return (view, event)
    }

    /// The auth chain below `events`: their auth events and those events' auth events, recursively
    /// (an event of `events` only when another names it). In room versions whose create event is
    /// never listed (v12), every other event rests on the create event its room ID names, as Synapse
    /// reads its auth events, so the chain holds it.
    func authChain(below events: [RoomEvent], version: RoomVersion) async throws -> Set<String> {
        var ids = events.reduce(into: Set<String>()) { $0.formUnion($1.authEvents) }
        if !version.createEventInAuthEvents {
            for event in events where !(event.type == EventType.create && event.stateKey == "") {
                ids.insert("$" + event.roomID.dropFirst())
            }
        }
        return try await store.authChain(of: ids)
    }

    /// The stored events among `ids` that may be served for the room (rejected ones and those of
    /// other rooms left out), oldest first: by depth, then stream position, then ID.
    func servableEvents(_ ids: Set<String>, roomID: String) async throws -> [RoomEvent] {
        try await store.events(ids).values
            .filter { $0.roomID == roomID && $0.rejectedReason == nil }
            .sorted { ($0.depth, $0.ordering, $0.eventID) < ($1.depth, $1.ordering, $1.eventID) }
    }

    static func checkRoomID(_ roomID: String) throws(MatrixError) {
        guard roomID.hasPrefix("!"), roomID.utf8.count > 1, roomID.utf8.count <= 255 else {
            throw .invalidParam("\(roomID) is not a room ID")
        }
    }

    static func checkEventID(_ eventID: String) throws(MatrixError) {
        guard eventID.hasPrefix("$"), eventID.utf8.count > 1, eventID.utf8.count <= 255 else {
            throw .invalidParam("\(eventID) is not an event ID")
        }
    }
}
