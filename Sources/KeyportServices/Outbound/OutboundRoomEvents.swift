public import KeyportStore
import MatrixModel

/// The way out for local room events (issue 11): once a local event is stored, every other server
/// in its room must get its PDU. This queues the event in each destination's durable outbound queue
/// (`OutboundPDUStore`) and wakes the federation sender in every process, which sends the PDU as
/// stored, ≤50 per transaction, and deletes it only after the destination's 200.
///
/// Call it right after the store write that holds the event, with the servers of the room's joined
/// members (and whichever others the event concerns, such as an invitee's):
///
///     let stored = try await store.applyRoomUpdate(update)
///     try await outboundRoomEvents.enqueue(eventIDs: stored.map(\.eventID), destinations: servers)
///
/// Until the queueing moves into the transaction that stores the event (a later change, through the
/// engines' `insertPDUs`), a crash between the two writes leaves the event stored but not sent;
/// the room's next event names it in `prev_events`, so a destination can fetch it.
public struct OutboundRoomEvents: Sendable {
    let store: any OutboundPDUStore
    let identity: ServerIdentity
    let clock: ServerClock
    let notifications: ChangeNotifications

    public init(
        store: any OutboundPDUStore, identity: ServerIdentity, clock: ServerClock, notifications: ChangeNotifications
    ) {
        self.store = store
        self.identity = identity
        self.clock = clock
        self.notifications = notifications
    }

    /// Queues one stored event for `destinations` and wakes the sender; see
    /// ``enqueue(eventIDs:destinations:)``.
    public func enqueue(eventID: String, destinations: Set<String>) async throws {
        try await enqueue(eventIDs: [eventID], destinations: destinations)
    }

    /// Queues stored events, in this order, for every destination, in one store transaction, and
    /// wakes the federation sender. This server's own name is left out of `destinations` (it has
    /// the events), and nothing is written when no destination is left. Throws
    /// ``StoreError/notFound``, queueing nothing, when an event is not stored.
    public func enqueue(eventIDs: [String], destinations: Set<String>) async throws {
        let remote = destinations.subtracting([identity.serverName.rawValue])
        guard !eventIDs.isEmpty, !remote.isEmpty else { return }
        try await store.enqueuePDUs(eventIDs: eventIDs, destinations: remote, now: clock.now())
        await notifications.outboundQueued()
    }
}
