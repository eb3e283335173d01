public import KeyportStore
public import MatrixModel

/// Room events as clients see them.
public enum ClientEventFormat {
    /// The client form of an event; `transaction_id` only for the device that sent it.
    public static func json(_ event: RoomEvent, viewer: SessionRecord?, now: Int64, includeRoomID: Bool = true)
        -> JSONValue
    {
        var object: JSONObject = [
            "event_id": .string(event.eventID), "type": .string(event.type), "sender": .string(event.sender),
            "origin_server_ts": .int(event.originServerTS), "content": .object(event.content),
        ]
        if includeRoomID { object["room_id"] = .string(event.roomID) }
        if let stateKey = event.stateKey { object["state_key"] = .string(stateKey) }
        var unsigned: JSONObject = ["age": .int(max(0, now - event.originServerTS))]
        if let txn = event.transaction, let viewer, txn.userID == viewer.userID, txn.deviceID == viewer.transactionScope
        {
            unsigned["transaction_id"] = .string(txn.transactionID)
        }
        object["unsigned"] = .object(unsigned)
        return .object(object)
    }

    /// Stripped state, as invites carry it.
    public static func stripped(_ event: RoomEvent) -> JSONValue {
        [
            "type": .string(event.type), "state_key": .string(event.stateKey ?? ""), "sender": .string(event.sender),
            "content": .object(event.content),
        ]
    }
}
