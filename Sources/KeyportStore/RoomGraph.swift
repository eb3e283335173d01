/// The key of one piece of room state: an event type and a state key. The store keeps room state
/// by these keys without knowing what any of them means.
public struct RoomStateKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var type: String
    public var stateKey: String

    public init(_ type: String, _ stateKey: String) {
        self.type = type
        self.stateKey = stateKey
    }

    public static func < (lhs: RoomStateKey, rhs: RoomStateKey) -> Bool {
        (lhs.type, lhs.stateKey) < (rhs.type, rhs.stateKey)
    }

    public var description: String { "(\(type), \(stateKey))" }
}

/// A room state as event IDs by key.
public typealias RoomStateIDs = [RoomStateKey: String]

/// Where a new state snapshot starts from.
public enum RoomStateBase: Sendable, Equatable {
    /// No state (a create event's state before it).
    case empty
    /// The state after a stored event, or after an earlier event of the same update.
    case afterEvent(String)
}

/// The state after an event, as the store records it: a change from a base. Events with the same
/// state share one snapshot; the store decides how snapshots are laid out (deltas, full copies).
public enum RoomStateAfter: Sendable, Equatable {
    /// No state is recorded: outliers and rejected events.
    case none
    /// `base` with `changes` applied: a key mapped to nil is removed.
    case changed(from: RoomStateBase, changes: [RoomStateKey: String?])
}

/// One event of an update with the state after it.
public struct RoomEventWrite: Sendable {
    public var event: RoomEvent
    public var stateAfter: RoomStateAfter

    public init(_ event: RoomEvent, stateAfter: RoomStateAfter) {
        self.event = event
        self.stateAfter = stateAfter
    }
}

/// Everything one step of a room changes, written in one transaction: new events, the forward
/// extremities and the current state. The service decides all of it; the store only records it.
public struct RoomUpdate: Sendable {
    public var roomID: String
    public var events: [RoomEventWrite]
    /// The forward extremities the update was computed from. The write fails with
    /// ``StoreError/conflict(_:)`` unless they are still the room's (another writer got there first:
    /// compute again).
    public var expectedExtremities: Set<String>
    /// The forward extremities after the update.
    public var extremities: Set<String>
    /// Changes to the room's current state: a key mapped to nil is removed. `m.room.member` changes
    /// also set memberships and record `membership` changes on the device-list stream.
    public var currentState: [RoomStateKey: String?]
    /// Other servers to send the update's events to: they are queued in the outbound PDU queue
    /// (`OutboundPDUStore`) in the same transaction, so a stored event is never left unsent.
    public var sendTo: Set<String>
    /// When the events are queued (for the queue's `created_at`).
    public var queuedAt: Int64

    public init(
        roomID: String, events: [RoomEventWrite], expectedExtremities: Set<String>, extremities: Set<String>,
        currentState: [RoomStateKey: String?], sendTo: Set<String> = [], queuedAt: Int64 = 0
    ) {
        self.roomID = roomID
        self.events = events
        self.expectedExtremities = expectedExtremities
        self.extremities = extremities
        self.currentState = currentState
        self.sendTo = sendTo
        self.queuedAt = queuedAt
    }
}
