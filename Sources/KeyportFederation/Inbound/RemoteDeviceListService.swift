import CoreMetrics
public import KeyportServices
public import KeyportStore
public import Logging
public import MatrixModel

/// The cache of remote users' device lists (guarantee 3). Updates whose `prev_id`s are known are
/// applied at once; otherwise the user is marked stale durably and fetched again from
/// `GET /user/devices/{userId}` in the background, with backoff per server. A stale list is
/// never served as if it were current.
public actor RemoteDeviceListService {
    let store: any KeyportStorage
    let client: FederationClient
    let identity: ServerIdentity
    let notifications: ChangeNotifications
    let logger: Logger
    let metrics: FederationMetrics
    let leases: SenderLeases
    let clock: ServerClock
    /// The retry loop's lease, while this process holds it.
    var retryLease: Lease?
    var inFlight: [String: Task<Bool, Never>] = [:]
    /// Users whose list was found stale again while a fetch of it was running: that fetch may have
    /// read the list before the update that made it stale, so another follows it.
    var fetchAgain: Set<String> = []
    var backoff: [String: (failures: Int, until: ContinuousClock.Instant)] = [:]

    public init(
        store: any KeyportStorage, client: FederationClient, identity: ServerIdentity,
        notifications: ChangeNotifications, logger: Logger, metrics: FederationMetrics = FederationMetrics(),
        leases: SenderLeases = SenderLeases(), clock: ServerClock = .system
    ) {
        self.metrics = metrics
        self.leases = leases
        self.clock = clock
        self.store = store
        self.client = client
        self.identity = identity
        self.notifications = notifications
        self.logger = logger
    }

    /// True if a local user shares a room with `userID`: only such users' lists are cached.
    public func isTracked(_ userID: String) async throws -> Bool {
        try await store.usersSharingRoom(with: userID).contains { identity.isLocal($0) }
    }

    /// An `m.device_list_update` from `origin`.
    public func receive(_ update: RemoteDeviceUpdate) async throws {
        guard try await isTracked(update.userID) else { return }
        if try await store.applyRemoteDeviceUpdate(update) {
            try await notifications.deviceListChanged(of: update.userID)
        } else {
            startResync(update.userID)
        }
    }

    /// An `m.signing_key_update`: the cached master / self-signing keys, checked first.
    public func receiveSigningKeys(userID: String, content: JSONObject) async throws {
        guard try await isTracked(userID) else { return }
        let cached = try await store.remoteDeviceList(userID: userID)
        let master = RemoteKeyValidation.masterKey(content["master_key"], userID: userID)
        let selfSigning = RemoteKeyValidation.selfSigningKey(
            content["self_signing_key"], userID: userID, master: master ?? cached?.masterKey)
        guard master != nil || selfSigning != nil else { return }
        try await store.updateRemoteCrossSigningKeys(userID: userID, master: master, selfSigning: selfSigning)
        try await notifications.deviceListChanged(of: userID)
    }

    /// Fetches the user's whole list again; returns at once. When a fetch is already running, one
    /// more follows it: the running one may have read the list before this update was made.
    func startResync(_ userID: String) {
        guard inFlight[userID] == nil else {
            fetchAgain.insert(userID)
            return
        }
        inFlight[userID] = Task { await self.fetchUntilCurrent(userID, timeout: .seconds(30)) }
    }

    /// Fetches the user's list now (joining a fetch already running), bounded by `timeout`.
    public func resync(_ userID: String, timeout: Duration) async -> Bool {
        if let running = inFlight[userID] { return await running.value }
        let task = Task { await self.fetchUntilCurrent(userID, timeout: timeout) }
        inFlight[userID] = task
        return await task.value
    }

    /// Fetches the list, and again while updates made it stale during the fetch before.
    private func fetchUntilCurrent(_ userID: String, timeout: Duration) async -> Bool {
        defer { inFlight[userID] = nil }
        var fetched = false
        repeat {
            fetchAgain.remove(userID)
            fetched = await runResync(userID, timeout: timeout)
        } while fetched && fetchAgain.contains(userID)
        fetchAgain.remove(userID)
        return fetched
    }

    private func runResync(_ userID: String, timeout: Duration) async -> Bool {
        guard let server = UserID(userID)?.serverName.rawValue else { return false }
        if let wait = backoff[server], wait.until > .now { return false }
        do {
            try await store.markRemoteDeviceListStale(userID: userID)
            let encoded = userID.addingPercentEncodingForPath()
            let answer = try await client.request(
                server, method: "GET", path: "/_matrix/federation/v1/user/devices/\(encoded)", timeout: timeout,
                maxResponseBytes: FederationResponseLimit.userDevices)
            let list = try Self.parseDeviceList(answer, userID: userID)
            try await store.replaceRemoteDeviceList(list)
            backoff[server] = nil
            metrics.resyncsSucceeded.increment()
            try await notifications.deviceListChanged(of: userID)
            return true
        } catch {
            metrics.resyncsFailed.increment()
            let failures = (backoff[server]?.failures ?? 0) + 1
            let delay = Duration.seconds(min(30 * (1 << min(failures - 1, 10)), 24 * 3600))
            backoff[server] = (failures, .now + delay)
            logger.warning(
                "device list resync failed; the user stays stale",
                metadata: ["user": "\(userID)", "error": "\(error)", "retry_in": "\(delay)"])
            return false
        }
    }

    /// Retries stale users whose server is not backing off, every `interval`, until cancelled. With
    /// several processes on one database only the holder of the retry lease does this, so a stale
    /// list is fetched and recorded once, not once per process.
    public func runRetryLoop(interval: Duration = .seconds(5)) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: min(interval, leases.duration / 4))
            guard await holdsRetryLease(), let stale = try? await store.staleRemoteDeviceLists() else { continue }
            metrics.staleRemoteLists.record(stale.count)
            for userID in stale {
                guard let server = UserID(userID)?.serverName.rawValue else { continue }
                if let wait = backoff[server], wait.until > .now { continue }
                if (try? await isTracked(userID)) == true {
                    startResync(userID)
                } else {
                    try? await store.forgetRemoteDeviceList(userID: userID)
                }
            }
        }
    }

    /// Gives up the retry loop's lease, at shutdown.
    public func releaseLeases() async {
        guard let lease = retryLease else { return }
        retryLease = nil
        try? await store.releaseLease(lease)
    }

    /// Takes or renews the retry loop's lease; false while another process holds it.
    private func holdsRetryLease() async -> Bool {
        let now = clock.now()
        if let lease = retryLease, !leases.needsRenewal(expiresAt: lease.expiresAt, now: now) { return true }
        retryLease = try? await store.acquireLease(
            SenderLeases.deviceListResync, holder: leases.holder, now: now, duration: leases.milliseconds)
        return retryLease != nil
    }

    /// Clears a server's backoff (it just talked to us, so it is up).
    public func serverIsUp(_ server: String) {
        backoff[server] = nil
    }

    /// The most devices a `/user/devices` answer may list, as Synapse (`device.py`: a list of more
    /// than 1,000 devices is "something going horribly wrong" and is not cached).
    public static let maxDevices = 1000

    /// A `GET /user/devices` answer checked and shaped for the cache. Refused when it is not for
    /// `userID`, or lists more than ``maxDevices`` devices: a longer list is not cached, the user
    /// stays stale (so the cached list is reported as such) and is retried with the server's backoff.
    static func parseDeviceList(_ answer: JSONObject, userID: String) throws(FederationError) -> RemoteDeviceList {
        guard answer["user_id"]?.stringValue == userID, let devices = answer["devices"]?.arrayValue else {
            throw .invalidResponse("malformed /user/devices answer")
        }
        guard devices.count <= maxDevices else {
            throw .invalidResponse("/user/devices lists \(devices.count) devices, more than \(maxDevices)")
        }
        var parsed: [RemoteDevice] = []
        for entry in devices {
            guard let object = entry.objectValue, let deviceID = object["device_id"]?.stringValue else { continue }
            parsed.append(
                RemoteDevice(
                    deviceID: deviceID, displayName: object["device_display_name"]?.stringValue,
                    keys: RemoteKeyValidation.deviceKeys(object["keys"], userID: userID, deviceID: deviceID)))
        }
        let master = RemoteKeyValidation.masterKey(answer["master_key"], userID: userID)
        return RemoteDeviceList(
            userID: userID, streamID: answer["stream_id"]?.intValue ?? 0, stale: false, devices: parsed,
            masterKey: master,
            selfSigningKey: RemoteKeyValidation.selfSigningKey(
                answer["self_signing_key"], userID: userID, master: master))
    }
}
