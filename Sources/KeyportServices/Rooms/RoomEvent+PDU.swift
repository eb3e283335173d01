public import KeyportStore
public import MatrixRooms

extension RoomEvent {
    /// The stored form of a PDU; the flags say what the checks decided about it.
    public init(
        _ pdu: PDU, transaction: ClientTransaction? = nil, outlier: Bool = false, rejectedReason: String? = nil,
        softFailed: Bool = false
    ) {
        self.init(
            eventID: pdu.eventID, roomID: pdu.roomID, type: pdu.type, stateKey: pdu.stateKey, sender: pdu.sender,
            content: pdu.content, originServerTS: pdu.originServerTS, transaction: transaction, pdu: pdu.object,
            depth: pdu.depth, prevEvents: pdu.prevEvents, authEvents: pdu.authEvents, outlier: outlier,
            rejectedReason: rejectedReason, softFailed: softFailed)
    }

    /// The stored PDU, parsed in the room's version. The ID is the stored one: the event was
    /// checked when it was stored, so its reference hash is not computed again.
    public func parsedPDU(version: RoomVersion) throws(PDUFormatError) -> PDU {
        try PDU(parsing: pdu, roomVersion: version, assignedEventID: eventID)
    }
}

extension RoomStateKey {
    public init(_ key: StateKey) { self.init(key.type, key.stateKey) }
    public var stateKeyValue: StateKey { StateKey(type, stateKey) }
}
