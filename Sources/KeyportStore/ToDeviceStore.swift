public import MatrixModel

/// A message in a device's inbox.
public struct ToDeviceMessage: Sendable, Equatable {
    /// Position in the to-device stream; a device acknowledges up to a position.
    public var streamID: Int64
    public var sender: String
    public var type: String
    public var content: JSONObject

    public init(streamID: Int64, sender: String, type: String, content: JSONObject) {
        self.streamID = streamID
        self.sender = sender
        self.type = type
        self.content = content
    }
}

/// A client's transaction ID, scoped to the device (access token) that used it.
public struct ClientTransaction: Sendable, Hashable {
    public var userID: String
    public var deviceID: String
    public var transactionID: String

    public init(userID: String, deviceID: String, transactionID: String) {
        self.userID = userID
        self.deviceID = deviceID
        self.transactionID = transactionID
    }
}

/// The idempotency key of an `m.direct_to_device` EDU: its origin server and `message_id`.
public struct FederatedMessageID: Sendable, Hashable {
    public var origin: String
    public var messageID: String

    public init(origin: String, messageID: String) {
        self.origin = origin
        self.messageID = messageID
    }
}

/// One `/sendToDevice` request: local deliveries and, per destination server, the
/// `m.direct_to_device` EDU content to queue for federation.
public struct ToDeviceBatch: Sendable {
    public struct Delivery: Sendable {
        public var userID: String
        /// A device ID, or `*` for every device of the user.
        public var deviceID: String
        public var content: JSONObject

        public init(userID: String, deviceID: String, content: JSONObject) {
            self.userID = userID
            self.deviceID = deviceID
            self.content = content
        }
    }

    public var sender: String
    public var type: String
    public var local: [Delivery]
    /// Destination server → EDU contents (`sender`, `type`, `message_id`, `messages`), queued in order.
    public var remote: [String: [JSONObject]]
    public var transaction: ClientTransaction?
    /// For a batch received over federation: the sending server and the EDU's `message_id`, so
    /// that a repeated EDU is stored once.
    public var federatedMessage: FederatedMessageID?

    public init(
        sender: String, type: String, local: [Delivery], remote: [String: [JSONObject]],
        transaction: ClientTransaction?,
        federatedMessage: FederatedMessageID? = nil
    ) {
        self.sender = sender
        self.type = type
        self.local = local
        self.remote = remote
        self.transaction = transaction
        self.federatedMessage = federatedMessage
    }
}

/// Device inboxes (guarantee 2): stored durably, read in order, deleted only when acknowledged.
public protocol ToDeviceStore: Sendable {
    /// Stores every delivery and queued EDU in one transaction. `*` expands to all of the user's
    /// current devices; unknown users and devices are skipped. If the batch's transaction was seen
    /// before (or, for a federated batch, its origin and `message_id`), nothing is stored and nil is returned; otherwise the local users that received a
    /// message.
    func sendToDevice(_ batch: ToDeviceBatch, now: Int64) async throws -> Set<String>?

    /// Inbox messages with `after < streamID <= upTo`, oldest first, at most `limit`.
    func toDeviceMessages(userID: String, deviceID: String, after: Int64, upTo: Int64, limit: Int) async throws
        -> [ToDeviceMessage]

    /// Inbox messages of every device with `after < streamID <= upTo`, oldest first, at most `limit`.
    func toDeviceMessages(after: Int64, upTo: Int64, limit: Int) async throws -> [InboxMessage]

    /// Deletes the device's messages with `streamID <= upTo` (the device has acknowledged them).
    func deleteToDeviceMessages(userID: String, deviceID: String, upTo: Int64) async throws

    /// The newest to-device stream position (0 when none was ever written).
    func currentToDevicePosition() async throws -> Int64

    /// How many to-device messages wait for devices to acknowledge them (for metrics).
    func pendingToDeviceCount() async throws -> Int
}
