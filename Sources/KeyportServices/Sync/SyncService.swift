import CoreMetrics
public import KeyportStore
public import MatrixModel

/// `GET /sync`: one token carries the position of every stream; an empty incremental answer waits
/// (up to `timeout`) until the notifier says something for this user was written.
public struct SyncService: Sendable {
    /// At most this many to-device messages per response; a backlog makes the next sync return at once.
    public static let toDeviceLimit = 100
    /// The longest a request may wait.
    public static let maxTimeout: Duration = .seconds(120)
    /// A waiting request looks again this often even when nobody woke it: a wake-up from another
    /// process can be lost (its listener was reconnecting), the data never is.
    public static let recheckInterval: Duration = .seconds(10)

    let store: any ToDeviceStore & RoomStore & StreamStore & KeyStore & AccountDataStore
    let deviceLists: DeviceListService
    let keys: KeyService
    let notifier: SyncNotifier
    let clock: ServerClock

    let metrics: ServiceMetrics

    public init(
        store: any ToDeviceStore & RoomStore & StreamStore & KeyStore & AccountDataStore,
        deviceLists: DeviceListService, keys: KeyService,
        notifier: SyncNotifier, clock: ServerClock, metrics: ServiceMetrics = ServiceMetrics()
    ) {
        self.store = store
        self.deviceLists = deviceLists
        self.keys = keys
        self.notifier = notifier
        self.clock = clock
        self.metrics = metrics
    }

    /// Options from the query string and filter.
    public struct Request: Sendable {
        public var since: StreamToken?
        public var timeout: Duration
        public var fullState: Bool
        public var timelineLimit: Int
        public var includeLeave: Bool

        public init(since: StreamToken?, timeout: Duration, fullState: Bool, timelineLimit: Int, includeLeave: Bool) {
            self.since = since
            self.timeout = timeout
            self.fullState = fullState
            self.timelineLimit = timelineLimit
            self.includeLeave = includeLeave
        }
    }

    public func sync(session: SessionRecord, request: Request) async throws -> JSONValue {
        if let since = request.since, since.toDevice > 0, let deviceID = session.deviceID {
            // The device has seen everything up to this position: acknowledged, so deleted.
            try await store.deleteToDeviceMessages(userID: session.userID, deviceID: deviceID, upTo: since.toDevice)
        }
        let deadline = ContinuousClock.now + min(request.timeout, Self.maxTimeout)
        while true {
            let version = await notifier.version(of: session.userID)
            let (response, hasContent) = try await build(session: session, request: request)
            let remaining = deadline - ContinuousClock.now
            if hasContent || request.since == nil || remaining <= .zero || Task.isCancelled {
                return response
            }
            metrics.syncWaiting.increment()
            await notifier.wait(for: session.userID, after: version, timeout: min(remaining, Self.recheckInterval))
            metrics.syncWaiting.decrement()
            if await notifier.version(of: session.userID) != version { metrics.syncWakeups.increment() }
        }
    }

    static func accountDataEvent(_ record: AccountDataRecord) -> JSONValue {
        ["type": .string(record.type), "content": .object(record.content)]
    }

    func build(session: SessionRecord, request: Request) async throws -> (JSONValue, Bool) {
        let since = request.since
        let head = StreamToken(
            deviceLists: try await store.currentDeviceListPosition(),
            toDevice: try await store.currentToDevicePosition(),
            rooms: try await store.currentRoomPosition(),
            accountData: try await store.currentAccountDataPosition())
        var next = head

        // An application service acting without a device has no inbox, no keys and no counts.
        let deviceID = session.deviceID
        let messages =
            deviceID == nil
            ? []
            : try await store.toDeviceMessages(
                userID: session.userID, deviceID: deviceID ?? "", after: since?.toDevice ?? 0, upTo: head.toDevice,
                limit: Self.toDeviceLimit)
        if messages.count == Self.toDeviceLimit, let last = messages.last { next.toDevice = last.streamID }
        metrics.toDeviceDelivered.increment(by: Int64(messages.count))
        let toDevice = messages.map(\.clientEvent)

        var changed: [String] = []
        var left: [String] = []
        if let since {
            (changed, left) = try await deviceLists.changes(
                for: session.userID, from: since.deviceLists, to: head.deviceLists)
        }

        // Each piece changed since the token (all of them in a first sync), global or per room.
        let accountData = try await store.accountDataChanges(
            userID: session.userID, after: since?.accountData ?? 0, upTo: head.accountData)
        let globalAccountData = accountData.filter { $0.roomID == nil }.map(Self.accountDataEvent)
        let roomAccountData = Dictionary(grouping: accountData.filter { $0.roomID != nil }, by: { $0.roomID ?? "" })
            .mapValues { $0.map(Self.accountDataEvent) }

        let rooms = try await RoomSyncBuilder(store: store, session: session, now: clock.now()).build(
            since: since?.rooms, head: head.rooms, fullState: request.fullState || since == nil,
            timelineLimit: request.timelineLimit, includeLeave: request.includeLeave, accountData: roomAccountData)

        var counts: [String: Int] = [:]
        var fallbackTypes: [String] = []
        if let deviceID {
            counts = try await keys.oneTimeKeyCounts(userID: session.userID, deviceID: deviceID)
            fallbackTypes = try await keys.unusedFallbackKeyTypes(userID: session.userID, deviceID: deviceID)
        }
        let response: JSONValue = [
            "next_batch": .string(next.description),
            "to_device": ["events": .array(toDevice)],
            "device_lists": [
                "changed": .array(changed.map(JSONValue.string)), "left": .array(left.map(JSONValue.string)),
            ],
            "device_one_time_keys_count": .object(JSONObject(counts.mapValues { .int(Int64($0)) })),
            "device_unused_fallback_key_types": .array(fallbackTypes.map(JSONValue.string)),
            "org.matrix.msc2732.device_unused_fallback_key_types": .array(fallbackTypes.map(JSONValue.string)),
            "rooms": rooms.json,
            "account_data": ["events": .array(globalAccountData)],
            "presence": ["events": []],
        ]
        let hasContent =
            !toDevice.isEmpty || !changed.isEmpty || !left.isEmpty || rooms.hasContent || !globalAccountData.isEmpty
        return (response, hasContent)
    }
}
