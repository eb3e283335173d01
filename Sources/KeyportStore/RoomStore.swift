public import MatrixModel

/// A room event as stored: the PDU with what the rules decided about it and its place in the
/// room's stream.
///
/// `pdu` is the event exactly as created or received (hashes and signatures included), never
/// re-serialised from the other fields, which are read from it for queries. Events that are
/// outliers (known only as auth or state events), rejected or soft-failed are stored but are not
/// part of the timeline clients see.
public struct RoomEvent: Sendable, Equatable {
    public var eventID: String
    public var roomID: String
    public var type: String
    public var stateKey: String?
    public var sender: String
    public var content: JSONObject
    public var originServerTS: Int64
    /// Position in the room stream (assigned by the store).
    public var ordering: Int64
    /// The transaction that sent it, so the sender's own copy can carry `transaction_id`.
    public var transaction: ClientTransaction?
    /// The PDU as created or received (without `event_id`, which rooms v4 and later compute).
    public var pdu: JSONObject
    public var depth: Int64
    public var prevEvents: [String]
    public var authEvents: [String]
    /// Known only as an auth or state event, with no place in the DAG's timeline.
    public var outlier: Bool
    /// Why the auth rules rejected it, if they did.
    public var rejectedReason: String?
    /// Allowed by its own auth events and the state before it, but not by the current state.
    public var softFailed: Bool

    public init(
        eventID: String, roomID: String, type: String, stateKey: String?, sender: String, content: JSONObject,
        originServerTS: Int64, ordering: Int64 = 0, transaction: ClientTransaction? = nil, pdu: JSONObject = [:],
        depth: Int64 = 0, prevEvents: [String] = [], authEvents: [String] = [], outlier: Bool = false,
        rejectedReason: String? = nil, softFailed: Bool = false
    ) {
        self.eventID = eventID
        self.roomID = roomID
        self.type = type
        self.stateKey = stateKey
        self.sender = sender
        self.content = content
        self.originServerTS = originServerTS
        self.ordering = ordering
        self.transaction = transaction
        self.pdu = pdu
        self.depth = depth
        self.prevEvents = prevEvents
        self.authEvents = authEvents
        self.outlier = outlier
        self.rejectedReason = rejectedReason
        self.softFailed = softFailed
    }

    /// Whether clients see it in the timeline: neither an outlier, rejected nor soft-failed.
    public var isInTimeline: Bool { !outlier && rejectedReason == nil && !softFailed }
}

/// A user's membership in a room with the stream position it took effect at.
public struct MembershipRecord: Sendable, Equatable {
    public var roomID: String
    public var membership: String
    public var ordering: Int64

    public init(roomID: String, membership: String, ordering: Int64) {
        self.roomID = roomID
        self.membership = membership
        self.ordering = ordering
    }
}

/// Rooms: their event graphs (PDUs, state after each event, forward extremities, auth chains), the
/// timeline and current state clients see, memberships, aliases; and clients' sync filters.
public protocol RoomStore: Sendable {
    /// Creates an empty room of a room version. Throws ``StoreError/conflict(_:)`` if the ID exists.
    func createRoom(roomID: String, version: String, creator: String, now: Int64) async throws

    func roomExists(roomID: String) async throws -> Bool

    /// The room's version; nil for an unknown room, or for a room stored before rooms were made of
    /// PDUs, which ``legacyRooms()`` lists until it is rebuilt.
    func roomVersion(roomID: String) async throws -> String?

    /// Writes an update in one transaction: its events in order (each given the next stream
    /// position, with the state after it recorded), then the forward extremities and the current
    /// state. `m.room.member` keys of the current state also set memberships and record a
    /// `membership` change on the device-list stream.
    ///
    /// An event already stored is not written again (its stored copy is returned), unless it was an
    /// outlier and is written now as a timeline event: then it takes the new flags, state and a new
    /// stream position. If the first event carries a client transaction that device used before for
    /// the same room and event type, nothing is written and the earlier event is returned.
    ///
    /// Throws ``StoreError/conflict(_:)`` if the room's forward extremities are no longer
    /// `expectedExtremities`, and ``StoreError/notFound`` if a state base names an event with no
    /// recorded state.
    func applyRoomUpdate(_ update: RoomUpdate) async throws -> [RoomEvent]

    /// The room's forward extremities: the events no stored timeline event names as a prev event.
    func forwardExtremities(roomID: String) async throws -> Set<String>

    /// The stored events among `ids`, whatever their room or flags.
    func events(_ ids: Set<String>) async throws -> [String: RoomEvent]

    /// The state after an event, or nil when none is recorded (unknown events, outliers, rejected
    /// events).
    func stateAfter(eventID: String) async throws -> RoomStateIDs?

    /// The union of the auth chains of `ids` (following `auth_events`), with the stored events of
    /// `ids` themselves.
    func authChain(of ids: Set<String>) async throws -> Set<String>

    /// The rejected events among `ids`.
    func rejectedEvents(among ids: Set<String>) async throws -> Set<String>

    /// Rooms stored before rooms were made of PDUs: events without PDUs, to be rebuilt.
    func legacyRooms() async throws -> [String]

    /// Replaces a legacy room's events with `update` (which must start from no extremities), in one
    /// transaction, and records `version` as the room's version. A room that is no longer legacy
    /// (another process rebuilt it) is left alone and nothing is returned.
    func replaceLegacyRoom(_ update: RoomUpdate, version: String) async throws -> [RoomEvent]

    /// The current state events of a room.
    func currentState(roomID: String) async throws -> [RoomEvent]

    /// One current state event, or nil.
    func stateEvent(roomID: String, type: String, stateKey: String) async throws -> RoomEvent?

    /// Timeline events with `after < ordering <= upTo`; the newest `limit` of them, oldest first.
    func roomEvents(roomID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [RoomEvent]

    /// Timeline events of every room with `after < ordering <= upTo`, the oldest `limit` of them,
    /// oldest first (what application services are sent, in stream order).
    func timelineEvents(after: Int64, upTo: Int64, limit: Int) async throws -> [RoomEvent]

    /// Timeline events before `before` (exclusive), newest first, at most `limit` (`/messages`).
    func roomEventsBackwards(roomID: String, before: Int64, limit: Int) async throws -> [RoomEvent]

    /// The user's membership in the room as of room position `position` (nil if none by then).
    func membership(roomID: String, userID: String, at position: Int64) async throws -> String?

    /// The newest room stream position.
    func currentRoomPosition() async throws -> Int64

    /// The user's current membership in every room they have one in.
    func memberships(userID: String) async throws -> [MembershipRecord]

    /// Binds a local alias to a room. Throws ``StoreError/conflict(_:)`` if the alias is taken.
    func createAlias(_ alias: String, roomID: String) async throws

    func roomID(forAlias alias: String) async throws -> String?

    /// Stores a filter and returns its ID.
    func saveFilter(userID: String, filter: JSONObject) async throws -> String

    func filter(userID: String, filterID: String) async throws -> JSONObject?
}

extension RoomStore {
    /// Appends events of one room as a chain after its forward extremities: each state event replaces
    /// the current state of its key. For tests and callers without a DAG of their own; retries
    /// when another writer moved the extremities meanwhile.
    @discardableResult
    public func appendEvents(_ events: [RoomEvent]) async throws -> [RoomEvent] {
        guard let roomID = events.first?.roomID else { return [] }
        precondition(events.allSatisfy { $0.roomID == roomID }, "appendEvents takes the events of one room")
        while true {
            let extremities = try await forwardExtremities(roomID: roomID)
            var base: RoomStateBase = .empty
            if let only = extremities.first, extremities.count == 1, try await stateAfter(eventID: only) != nil {
                base = .afterEvent(only)
            }
            var writes: [RoomEventWrite] = []
            var current: [RoomStateKey: String?] = [:]
            var prev = Array(extremities).sorted()
            for event in events {
                var event = event
                if event.prevEvents.isEmpty { event.prevEvents = prev }
                var changes: [RoomStateKey: String?] = [:]
                if let stateKey = event.stateKey {
                    changes[RoomStateKey(event.type, stateKey)] = .some(event.eventID)
                    current[RoomStateKey(event.type, stateKey)] = .some(event.eventID)
                }
                writes.append(RoomEventWrite(event, stateAfter: .changed(from: base, changes: changes)))
                base = .afterEvent(event.eventID)
                prev = [event.eventID]
            }
            let update = RoomUpdate(
                roomID: roomID, events: writes, expectedExtremities: extremities, extremities: Set(prev),
                currentState: current)
            do {
                return try await applyRoomUpdate(update)
            } catch StoreError.conflict {
                continue
            }
        }
    }
}
