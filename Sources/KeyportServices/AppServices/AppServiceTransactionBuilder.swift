public import KeyportStore
public import MatrixModel

/// What one transaction to an application service carries, read from the streams between the
/// positions the service was sent up to and the streams' heads, at most ``maxEvents`` room events,
/// ``maxToDevice`` to-device messages and ``maxDeviceListSpan`` device-list positions at a time.
///
/// The body is what Synapse 1.163 sends (`ApplicationServiceApi.push_bulk`): `events` in the client
/// format with `room_id`; with MSC2409 (the service's `receive_ephemeral` and
/// `experimental_features.msc2409_to_device_messages_enabled`) `de.sorunome.msc2409.to_device`;
/// with MSC3202 (the service's `org.matrix.msc3202` and
/// `experimental_features.msc3202_transaction_extensions`) `org.matrix.msc3202.device_lists`,
/// the one-time key counts under both of Synapse's names and the unused fallback key types. No
/// ephemeral EDUs (typing, receipts, presence): Keyport serves none, so neither `ephemeral` nor
/// `de.sorunome.msc2409.ephemeral` is sent.
public struct AppServiceTransactionBuilder: Sendable {
    /// What a transaction carries; `body` is nil when nothing in the range interests the service
    /// (its positions then move on with nothing sent).
    public struct Content: Sendable {
        public var body: JSONObject?
        public var positions: AppServicePositions
        /// The inbox messages deleted once the service acknowledges the transaction.
        public var deliveredToDevice: [Int64]
    }

    public static let maxEvents = 100
    public static let maxToDevice = 100
    /// Device-list stream positions read per transaction, so a service that was down for long
    /// catches up in bounded steps.
    public static let maxDeviceListSpan: Int64 = 1000

    let store: any KeyportStorage
    let identity: ServerIdentity
    let toDeviceEnabled: Bool
    let deviceDataEnabled: Bool

    public init(store: any KeyportStorage, identity: ServerIdentity, toDeviceEnabled: Bool, deviceDataEnabled: Bool) {
        self.store = store
        self.identity = identity
        self.toDeviceEnabled = toDeviceEnabled
        self.deviceDataEnabled = deviceDataEnabled
    }

    /// The streams' heads: where a service that was never sent anything starts.
    public func heads() async throws -> AppServicePositions {
        AppServicePositions(
            roomEvents: try await store.currentRoomPosition(), toDevice: try await store.currentToDevicePosition(),
            deviceLists: try await store.currentDeviceListPosition())
    }

    /// The next transaction for `service` from `from` towards `heads`.
    public func build(
        for service: ApplicationService, from: AppServicePositions, upTo heads: AppServicePositions, now: Int64
    ) async throws -> Content {
        var rooms = AppServiceRoomCache(store: store, identity: identity)
        var positions = heads
        var body: JSONObject = [:]
        var carriesSomething = false

        let events = try await store.timelineEvents(
            after: from.roomEvents, upTo: heads.roomEvents, limit: Self.maxEvents)
        if events.count == Self.maxEvents, let last = events.last { positions.roomEvents = last.ordering }
        var sent: [RoomEvent] = []
        for event in events {
            let room = try await rooms.room(event.roomID)
            if AppServiceInterest.isInterested(service, in: event, room: room) { sent.append(event) }
        }
        body["events"] = .array(sent.map { ClientEventFormat.json($0, viewer: nil, now: now) })
        carriesSomething = !sent.isEmpty

        var recipients: Set<String> = []
        var delivered: [Int64] = []
        if toDeviceEnabled && service.receivesEphemeral {
            let messages = try await store.toDeviceMessages(
                after: from.toDevice, upTo: heads.toDevice, limit: Self.maxToDevice)
            if messages.count == Self.maxToDevice, let last = messages.last {
                positions.toDevice = last.message.streamID
            }
            let kept = messages.filter { AppServiceInterest.receivesToDevice(service, for: $0.userID) }
            body["de.sorunome.msc2409.to_device"] = .array(kept.map(Self.toDeviceJSON))
            delivered = kept.filter { AppServiceInterest.deliveryConsumesMessage(service, for: $0.userID) }
                .map(\.message.streamID)
            recipients = Set(kept.map(\.userID))
            carriesSomething = carriesSomething || !kept.isEmpty
        }

        if deviceDataEnabled && service.receivesDeviceData {
            positions.deviceLists = min(heads.deviceLists, from.deviceLists + Self.maxDeviceListSpan)
            let lists = try await deviceLists(
                for: service, from: from.deviceLists, to: positions.deviceLists, &rooms)
            if !lists.changed.isEmpty || !lists.left.isEmpty {
                body["org.matrix.msc3202.device_lists"] = [
                    "changed": .array(lists.changed.sorted().map(JSONValue.string)),
                    "left": .array(lists.left.sorted().map(JSONValue.string)),
                ]
                carriesSomething = true
            }
            if carriesSomething {
                var users: Set<String> = [service.sender]
                users.formUnion(recipients)
                for roomID in Set(sent.map(\.roomID)) {
                    users.formUnion(
                        try await rooms.room(roomID).localJoinedMembers.filter(service.isInterested(inUser:)))
                }
                try await addKeyCounts(for: users, to: &body)
            }
        }
        return Content(body: carriesSomething ? body : nil, positions: positions, deliveredToDevice: delivered)
    }

    /// A to-device message as MSC2409 carries it: the message with its recipient.
    static func toDeviceJSON(_ message: InboxMessage) -> JSONValue {
        [
            "type": .string(message.message.type), "sender": .string(message.message.sender),
            "to_user_id": .string(message.userID), "to_device_id": .string(message.deviceID),
            "content": .object(message.message.content),
        ]
    }

    /// MSC3202's key counts for the users' devices on this server, in Synapse's shapes: one-time
    /// keys by algorithm (an empty object for a device with none) and unused fallback key types.
    private func addKeyCounts(for users: Set<String>, to body: inout JSONObject) async throws {
        var counts: JSONObject = [:]
        var fallbacks: JSONObject = [:]
        for userID in users.sorted() where identity.isLocal(userID) {
            var userCounts: JSONObject = [:]
            var userFallbacks: JSONObject = [:]
            for device in try await store.devices(userID: userID) {
                let oneTime = try await store.oneTimeKeyCounts(userID: userID, deviceID: device.deviceID)
                userCounts[device.deviceID] = .object(JSONObject(oneTime.mapValues { JSONValue.int(Int64($0)) }))
                let types = try await store.unusedFallbackKeyTypes(userID: userID, deviceID: device.deviceID)
                userFallbacks[device.deviceID] = .array(types.sorted().map(JSONValue.string))
            }
            if !userCounts.isEmpty {
                counts[userID] = .object(userCounts)
                fallbacks[userID] = .object(userFallbacks)
            }
        }
        guard !counts.isEmpty else { return }
        body["org.matrix.msc3202.device_one_time_key_counts"] = .object(counts)
        body["org.matrix.msc3202.device_one_time_keys_count"] = .object(counts)
        body["org.matrix.msc3202.device_unused_fallback_key_types"] = .object(fallbacks)
    }
}
