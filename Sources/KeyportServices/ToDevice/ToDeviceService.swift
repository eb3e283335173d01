public import KeyportStore
public import MatrixModel

/// `PUT /sendToDevice`: local inboxes, queued federation EDUs for remote users, idempotent per
/// device and transaction ID.
public struct ToDeviceService: Sendable {
    /// The largest content of one message, in canonical JSON bytes.
    public static let maxContentBytes = 64 * 1024

    let store: any ToDeviceStore
    let identity: ServerIdentity
    let clock: ServerClock
    let notifications: ChangeNotifications

    public init(
        store: any ToDeviceStore, identity: ServerIdentity, clock: ServerClock, notifications: ChangeNotifications
    ) {
        self.store = store
        self.identity = identity
        self.clock = clock
        self.notifications = notifications
    }

    /// `m.direct_to_device` EDU contents for one destination, each with its own `message_id`,
    /// packed so that every whole EDU is under the 64 KiB limit (see ``DirectToDeviceEDUs``).
    /// `send` refuses a message that cannot fit alone, so every message here goes out.
    static func directToDeviceEDUs(sender: String, type: String, messages: [String: JSONValue]) -> [JSONObject] {
        DirectToDeviceEDUs(sender: sender, type: type).pack(messages).edus
    }

    public func send(session: SessionRecord, type: String, transactionID: String, body: JSONObject) async throws {
        guard !type.isEmpty, type.utf8.count <= 255 else { throw MatrixError.invalidParam("Invalid event type") }
        let messages = try body.requiredObject("messages")
        var local: [ToDeviceBatch.Delivery] = []
        var remote: [String: [String: JSONValue]] = [:]
        for (userID, devices) in messages {
            guard let user = UserID(userID) else { throw MatrixError.invalidParam("Invalid user ID '\(userID)'") }
            guard let devices = devices.objectValue else {
                throw MatrixError.badJSON("messages.\(userID) must be an object")
            }
            for (deviceID, content) in devices {
                guard let content = content.objectValue else {
                    throw MatrixError.badJSON("messages.\(userID).\(deviceID) must be an object")
                }
                guard let bytes = try? JSONWriter.canonicalBytes(.object(content)) else {
                    throw MatrixError.badJSON("messages.\(userID).\(deviceID) is not canonical JSON")
                }
                guard bytes.count <= Self.maxContentBytes else {
                    throw MatrixError.tooLarge("A to-device message is larger than \(Self.maxContentBytes) bytes")
                }
                if identity.isLocal(user) {
                    local.append(.init(userID: userID, deviceID: deviceID, content: content))
                } else {
                    // Over federation the message travels inside an EDU with its envelope, and
                    // the whole EDU must stay under 64 KiB: one that cannot is refused here, as
                    // Synapse refuses oversized messages, rather than queued to fail forever.
                    let alone = DirectToDeviceEDUs(sender: session.userID, type: type)
                        .size(ofOneMessageTo: userID, deviceID: deviceID, contentBytes: bytes.count)
                    guard alone < DirectToDeviceEDUs.maxEDUBytes else {
                        throw MatrixError.tooLarge(
                            "The to-device message for \(userID) \(deviceID) does not fit in a federation EDU (\(alone) bytes of \(DirectToDeviceEDUs.maxEDUBytes))"
                        )
                    }
                    var byUser = remote[user.serverName.rawValue]?[userID]?.objectValue ?? [:]
                    byUser[deviceID] = .object(content)
                    remote[user.serverName.rawValue, default: [:]][userID] = .object(byUser)
                }
            }
        }
        var edus: [String: [JSONObject]] = [:]
        for (destination, messages) in remote {
            edus[destination] = Self.directToDeviceEDUs(sender: session.userID, type: type, messages: messages)
        }
        let batch = ToDeviceBatch(
            sender: session.userID, type: type, local: local, remote: edus,
            transaction: ClientTransaction(
                userID: session.userID, deviceID: session.transactionScope, transactionID: transactionID))
        if let recipients = try await store.sendToDevice(batch, now: clock.now()) {
            await notifications.wake(Array(recipients))
            if !edus.isEmpty { await notifications.outboundQueued() }
        }
    }
}

extension ToDeviceMessage {
    /// The message as clients receive it, in `/sync`'s `to_device.events` and wherever else.
    var clientEvent: JSONValue {
        ["sender": .string(sender), "type": .string(type), "content": .object(content)]
    }
}
