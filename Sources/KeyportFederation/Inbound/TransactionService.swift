public import KeyportServices
public import KeyportStore
public import Logging
public import MatrixModel

/// `PUT /send/{txnId}`: a transaction of at most 50 PDUs and 100 EDUs. Its EDUs are stored before
/// the answer (guarantee 2), and the same (origin, txnId) again gets the recorded answer without
/// being applied twice. Every user an EDU names must belong to the origin; others are dropped.
public struct TransactionService: Sendable {
    let store: any KeyportStorage
    let identity: ServerIdentity
    let deviceLists: RemoteDeviceListService
    let notifications: ChangeNotifications
    let clock: ServerClock
    let logger: Logger
    /// Takes the PDUs in; without it every PDU is answered as not handled.
    let pdus: InboundPDUService?

    public init(
        store: any KeyportStorage, identity: ServerIdentity, deviceLists: RemoteDeviceListService,
        notifications: ChangeNotifications, clock: ServerClock, logger: Logger, pdus: InboundPDUService? = nil
    ) {
        self.pdus = pdus
        self.store = store
        self.identity = identity
        self.deviceLists = deviceLists
        self.notifications = notifications
        self.clock = clock
        self.logger = logger
    }

    public func receive(origin: String, transactionID: String, body: JSONObject) async throws -> JSONObject {
        if let recorded = try await store.transactionResponse(origin: origin, transactionID: transactionID),
            let object = try? JSONParser().parse(recorded).objectValue
        {
            return object
        }
        guard let pdus = body["pdus"]?.arrayValue else { throw MatrixError.badJSON("'pdus' must be a list") }
        if let edus = body["edus"], edus.arrayValue == nil { throw MatrixError.badJSON("'edus' must be a list") }
        let edus = body["edus"]?.arrayValue ?? []
        guard pdus.count <= 50, edus.count <= 100 else {
            throw MatrixError.badJSON("A transaction carries at most 50 PDUs and 100 EDUs")
        }
        for edu in edus {
            guard let object = edu.objectValue, let type = object["edu_type"]?.stringValue,
                let content = object["content"]?.objectValue
            else { continue }
            try await apply(type: type, content: content, origin: origin)
        }
        var results: JSONObject = [:]
        for pdu in pdus {
            guard let object = pdu.objectValue else { continue }
            guard let service = self.pdus else {
                if let eventID = object["event_id"]?.stringValue {
                    results[eventID] = .object(["error": "This server does not take part in federated rooms"])
                }
                continue
            }
            // In the order sent: a PDU's prev events usually come before it in the same transaction.
            let result = await service.receive(object, origin: origin)
            guard let eventID = result.eventID else { continue }
            results[eventID] = result.error.map { .object(["error": .string($0)]) } ?? .object([:])
        }
        let response: JSONObject = ["pdus": .object(results)]
        try await store.recordTransaction(
            origin: origin, transactionID: transactionID, response: JSONValue.object(response).encodedString(),
            now: clock.now())
        return response
    }

    private func apply(type: String, content: JSONObject, origin: String) async throws {
        switch type {
        case "m.direct_to_device": try await receiveToDevice(content, origin: origin)
        case "m.device_list_update":
            guard let update = Self.deviceUpdate(content), owned(update.userID, by: origin, type: type) else { return }
            try await deviceLists.receive(update)
        case "m.signing_key_update", "org.matrix.signing_key_update":
            guard let userID = content["user_id"]?.stringValue, owned(userID, by: origin, type: type) else { return }
            try await deviceLists.receiveSigningKeys(userID: userID, content: content)
        default: return
        }
    }

    /// True if `userID` belongs to `origin`; logs and refuses otherwise.
    private func owned(_ userID: String, by origin: String, type: String) -> Bool {
        if UserID(userID)?.serverName.rawValue == origin { return true }
        logger.warning(
            "dropped an EDU about a user of another server",
            metadata: ["origin": "\(origin)", "user": "\(userID)", "type": "\(type)"])
        return false
    }

    private func receiveToDevice(_ content: JSONObject, origin: String) async throws {
        guard let sender = content["sender"]?.stringValue, owned(sender, by: origin, type: "m.direct_to_device"),
            let type = content["type"]?.stringValue, let messageID = content["message_id"]?.stringValue,
            let messages = content["messages"]?.objectValue
        else { return }
        var deliveries: [ToDeviceBatch.Delivery] = []
        for (userID, devices) in messages where identity.isLocal(userID) {
            for (deviceID, message) in devices.objectValue ?? [:] {
                guard let message = message.objectValue else { continue }
                deliveries.append(.init(userID: userID, deviceID: deviceID, content: message))
            }
        }
        let batch = ToDeviceBatch(
            sender: sender, type: type, local: deliveries, remote: [:], transaction: nil,
            federatedMessage: FederatedMessageID(origin: origin, messageID: messageID))
        if let recipients = try await store.sendToDevice(batch, now: clock.now()) {
            await notifications.wake(Array(recipients))
        }
    }

    static func deviceUpdate(_ content: JSONObject) -> RemoteDeviceUpdate? {
        guard let userID = content["user_id"]?.stringValue, let deviceID = content["device_id"]?.stringValue,
            let streamID = content["stream_id"]?.intValue
        else { return nil }
        let deleted = content["deleted"]?.boolValue ?? false
        let keys = deleted ? nil : RemoteKeyValidation.deviceKeys(content["keys"], userID: userID, deviceID: deviceID)
        // Keys that are present but do not verify are not believed: an empty `prev_id` makes the
        // receiver fetch the whole list from the owner's server instead.
        let unverifiable = !deleted && content["keys"] != nil && keys == nil
        return RemoteDeviceUpdate(
            userID: userID, deviceID: deviceID, streamID: streamID,
            prevIDs: unverifiable ? [] : content["prev_id"]?.arrayValue?.compactMap(\.intValue) ?? [], deleted: deleted,
            displayName: content["device_display_name"]?.stringValue, keys: keys)
    }
}
