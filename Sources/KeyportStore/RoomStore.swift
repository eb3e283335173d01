public import MatrixModel

/// An event in a local room's timeline.
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

    public init(
        eventID: String, roomID: String, type: String, stateKey: String?, sender: String, content: JSONObject,
        originServerTS: Int64, ordering: Int64 = 0, transaction: ClientTransaction? = nil
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
    }
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

/// Local rooms: their events, current state, memberships, aliases; and clients' sync filters.
public protocol RoomStore: Sendable {
    /// Creates an empty room. Throws ``StoreError/conflict(_:)`` if the ID exists.
    func createRoom(roomID: String, creator: String, now: Int64) async throws

    func roomExists(roomID: String) async throws -> Bool

    /// Appends events in order in one transaction. State events replace the current state of their
    /// (type, state key); `m.room.member` events also set the membership and record a `membership`
    /// change on the device-list stream. If the first event's transaction was used before by that
    /// device for the same room and event type, nothing is written and the earlier event is
    /// returned instead.
    func appendEvents(_ events: [RoomEvent]) async throws -> [RoomEvent]

    /// The current state events of a room.
    func currentState(roomID: String) async throws -> [RoomEvent]

    /// One current state event, or nil.
    func stateEvent(roomID: String, type: String, stateKey: String) async throws -> RoomEvent?

    /// Events with `after < ordering <= upTo`; the newest `limit` of them, returned oldest first.
    func roomEvents(roomID: String, after: Int64, upTo: Int64, limit: Int) async throws -> [RoomEvent]

    /// Events before `before` (exclusive), newest first, at most `limit` (for `/messages` backwards).
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
