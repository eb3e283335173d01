/// How far an application service's transactions have reached in each stream it is sent from:
/// every position up to these has been delivered (or judged of no interest to the service).
public struct AppServicePositions: Sendable, Equatable {
    /// The room event stream (`RoomEvent.ordering`).
    public var roomEvents: Int64
    /// The to-device stream (`ToDeviceMessage.streamID`).
    public var toDevice: Int64
    /// The device-list stream (`DeviceListChange.streamID`).
    public var deviceLists: Int64

    public init(roomEvents: Int64, toDevice: Int64, deviceLists: Int64) {
        self.roomEvents = roomEvents
        self.toDevice = toDevice
        self.deviceLists = deviceLists
    }
}

/// A transaction built for an application service and stored before it is sent, so every attempt
/// (in this process, after a restart, or in another process) sends the same ID and the same bytes.
public struct AppServiceTransaction: Sendable, Equatable {
    /// The transaction ID, given by the store: one more than the service's last.
    public var id: Int64
    /// The body exactly as sent, JSON text.
    public var body: String
    /// Where the service's positions move once the service acknowledged it.
    public var positions: AppServicePositions
    /// The inbox messages (`ToDeviceMessage.streamID`) it carries that are deleted when it is
    /// acknowledged.
    public var deliveredToDevice: [Int64]

    public init(id: Int64, body: String, positions: AppServicePositions, deliveredToDevice: [Int64]) {
        self.id = id
        self.body = body
        self.positions = positions
        self.deliveredToDevice = deliveredToDevice
    }
}

/// One application service's sending state.
public struct AppServiceState: Sendable, Equatable {
    public var serviceID: String
    public var positions: AppServicePositions
    /// The ID of the newest transaction made (0 before the first).
    public var lastTransactionID: Int64
    /// The transaction made and not yet acknowledged, if any.
    public var pending: AppServiceTransaction?
    /// Failed attempts in a row to send `pending`.
    public var failures: Int
    /// Milliseconds since the epoch: no attempt before then (0 when not backing off).
    public var retryAt: Int64

    public init(
        serviceID: String, positions: AppServicePositions, lastTransactionID: Int64,
        pending: AppServiceTransaction?, failures: Int, retryAt: Int64
    ) {
        self.serviceID = serviceID
        self.positions = positions
        self.lastTransactionID = lastTransactionID
        self.pending = pending
        self.failures = failures
        self.retryAt = retryAt
    }
}

/// A message in some device's inbox, with its recipient: the to-device stream read across every
/// recipient.
public struct InboxMessage: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var message: ToDeviceMessage

    public init(userID: String, deviceID: String, message: ToDeviceMessage) {
        self.userID = userID
        self.deviceID = deviceID
        self.message = message
    }
}
