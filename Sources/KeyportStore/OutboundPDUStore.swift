public import MatrixModel

/// A room event waiting in a destination's durable outbound queue, read together with its PDU.
public struct QueuedPDU: Sendable, Equatable {
    /// The entry's place in the queue, and what it is deleted by.
    public var id: Int64
    public var destination: String
    public var eventID: String
    /// The PDU exactly as stored with the event (`RoomEvent.pdu`: never rebuilt, no `event_id` for
    /// rooms v4 and later); nil when the event is no longer stored or has no PDU, which the sender
    /// drops rather than sends.
    public var pdu: JSONObject?

    public init(id: Int64, destination: String, eventID: String, pdu: JSONObject?) {
        self.id = id
        self.destination = destination
        self.eventID = eventID
        self.pdu = pdu
    }
}

/// The outbound PDU queue per destination (issue 11): which stored room events each server still
/// has to be sent, oldest first. An entry names the event; its PDU stays in the room graph and is
/// read with the entry, never copied. Entries are deleted only after the destination took them,
/// under the destination's sending lease, as queued EDUs are (`FederationStore`).
public protocol OutboundPDUStore: Sendable {
    /// Queues every event of `eventIDs`, in that order, for every destination, in one transaction:
    /// each destination's queue gets them after everything it already holds. An event still queued
    /// for a destination is not queued for it again. Throws ``StoreError/notFound``, queueing
    /// nothing, when an event is not stored.
    ///
    /// Callers queue a local event right after storing it, so a crash between the two writes loses
    /// the sending of that event; a later change moves this into the transaction that stores it.
    func enqueuePDUs(eventIDs: [String], destinations: Set<String>, now: Int64) async throws
    /// Up to `limit` of a destination's queued events, oldest first, each with its PDU.
    func queuedPDUs(destination: String, limit: Int) async throws -> [QueuedPDU]
    /// Deletes queue entries the destination took (or refused for good), in one transaction with a
    /// check that `lease` (the destination's sending lease) is still held; false, deleting nothing,
    /// when it was lost: the new holder sends them again.
    func deleteQueuedPDUs(ids: [Int64], under lease: Lease) async throws -> Bool
    /// Destinations with a PDU queued, by name.
    func destinationsWithQueuedPDUs() async throws -> [String]
    /// How many PDUs wait in each destination's queue (destinations with none are absent).
    func queuedPDUCounts() async throws -> [String: Int]
}
