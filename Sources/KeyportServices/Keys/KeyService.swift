import CoreMetrics
public import KeyportStore
public import MatrixModel

/// Device keys, one-time keys and fallback keys: upload, query, claim.
public struct KeyService: Sendable {
    let store: any KeyStore & CrossSigningStore & AccountStore
    let identity: ServerIdentity
    let clock: ServerClock
    let notifications: ChangeNotifications
    /// Other servers' users; nil when federation is off (they go to `failures`).
    let remote: (any RemoteKeyQuerying)?
    let metrics: ServiceMetrics
    /// Application services asked for their users' keys (MSC3983, MSC3984); nil when none are.
    let appServices: AppServiceKeyDelegation?

    public init(
        store: any KeyStore & CrossSigningStore & AccountStore, identity: ServerIdentity, clock: ServerClock,
        notifications: ChangeNotifications, remote: (any RemoteKeyQuerying)? = nil,
        metrics: ServiceMetrics = ServiceMetrics(), appServices: AppServiceKeyDelegation? = nil
    ) {
        self.store = store
        self.identity = identity
        self.clock = clock
        self.notifications = notifications
        self.remote = remote
        self.metrics = metrics
        self.appServices = appServices
    }

    /// The request's `timeout` (milliseconds) for other servers, 10 seconds by default, at most a minute.
    static func remoteTimeout(_ body: JSONObject) -> Duration {
        guard let milliseconds = body["timeout"]?.intValue, milliseconds >= 0 else { return .seconds(10) }
        return .milliseconds(min(milliseconds, 60_000))
    }

    /// Counts as clients expect them: `signed_curve25519` always present, 0 when empty.
    static func withDefaultCounts(_ counts: [String: Int]) -> [String: Int] {
        var counts = counts
        if counts["signed_curve25519"] == nil { counts["signed_curve25519"] = 0 }
        return counts
    }

    /// `POST /keys/upload`: validates everything first, then stores it in one transaction.
    public func upload(session: SessionRecord, body: JSONObject) async throws -> [String: Int] {
        let deviceID = try session.requireDevice(to: "upload keys")
        let upload = try await validatedUpload(userID: session.userID, deviceID: deviceID, body: body)
        let counts = try await Self.refusingKeyConflicts(deviceID: deviceID) {
            try await store.uploadKeys(upload)
        }
        if upload.deviceKeys != nil { try await notifications.deviceListChanged(of: session.userID) }
        return Self.withDefaultCounts(counts)
    }

    /// A `/keys/upload` body (`device_keys`, `one_time_keys`, `fallback_keys`) checked for one
    /// device: device keys self-signed and naming it, every key signed by its ed25519 key (the
    /// uploaded one, else the stored one), one fallback key per algorithm. Stores nothing.
    public func validatedUpload(userID: String, deviceID: String, body: JSONObject) async throws -> KeyUpload {
        var deviceKeys: (object: JSONObject, ed25519: String)?
        if let object = try body.optionalObject("device_keys") {
            let ed25519 = try DeviceKeysValidator.validateDeviceKeys(object, userID: userID, deviceID: deviceID)
            var stored = object
            stored["unsigned"] = nil
            deviceKeys = (stored, ed25519)
        }
        let oneTimeMap = try body.optionalObject("one_time_keys") ?? [:]
        let fallbackMap =
            try body.optionalObject("fallback_keys") ?? body.optionalObject("org.matrix.msc2732.fallback_keys") ?? [:]
        var ed25519 = deviceKeys?.ed25519
        if ed25519 == nil, !(oneTimeMap.isEmpty && fallbackMap.isEmpty) {
            ed25519 = try await store.deviceKeys(userID: userID, deviceID: deviceID)?["keys"]?["ed25519:\(deviceID)"]?
                .stringValue
        }
        let oneTimeKeys = try DeviceKeysValidator.validateKeyMap(
            oneTimeMap, field: "one_time_keys", userID: userID, deviceID: deviceID, deviceEd25519: ed25519)
        let fallbackKeys = try DeviceKeysValidator.validateKeyMap(
            fallbackMap, field: "fallback_keys", userID: userID, deviceID: deviceID, deviceEd25519: ed25519)
        guard Set(fallbackKeys.map(\.algorithm)).count == fallbackKeys.count else {
            throw MatrixError.invalidParam("fallback_keys may hold one key per algorithm")
        }
        return KeyUpload(
            userID: userID, deviceID: deviceID, deviceKeys: deviceKeys, oneTimeKeys: oneTimeKeys,
            fallbackKeys: fallbackKeys)
    }

    /// Runs a store write of keys, answering its refusals (a changed identity key, a one-time key
    /// ID reused with other content) as `/keys/upload` does.
    static func refusingKeyConflicts<T>(deviceID: String, _ write: () async throws -> T) async throws -> T {
        do {
            return try await write()
        } catch StoreError.identityKeyChanged {
            throw MatrixError.invalidParam("The ed25519 identity key of device \(deviceID) cannot change")
        } catch StoreError.keyConflict(let keyID) {
            throw MatrixError.invalidParam("One time key \(keyID) already exists with different content")
        }
    }

    /// Unclaimed one-time key counts for `/sync` and `/keys/upload`.
    public func oneTimeKeyCounts(userID: String, deviceID: String) async throws -> [String: Int] {
        Self.withDefaultCounts(try await store.oneTimeKeyCounts(userID: userID, deviceID: deviceID))
    }

    public func unusedFallbackKeyTypes(userID: String, deviceID: String) async throws -> [String] {
        try await store.unusedFallbackKeyTypes(userID: userID, deviceID: deviceID)
    }

    /// Parses `{user_id: {device_id: algorithm}}` into claim targets.
    public static func claimTargets(_ body: JSONObject) throws(MatrixError) -> [ClaimTarget] {
        let request = try body.requiredObject("one_time_keys")
        var targets: [ClaimTarget] = []
        for (userID, devices) in request.sorted(by: { $0.key < $1.key }) {
            guard UserID(userID) != nil else { throw .invalidParam("Invalid user ID '\(userID)'") }
            guard let devices = devices.objectValue else { throw .badJSON("one_time_keys.\(userID) must be an object") }
            for (deviceID, algorithm) in devices.sorted(by: { $0.key < $1.key }) {
                guard let algorithm = algorithm.stringValue else {
                    throw .badJSON("one_time_keys.\(userID).\(deviceID) must be an algorithm name")
                }
                targets.append(ClaimTarget(userID: userID, deviceID: deviceID, algorithm: algorithm))
            }
        }
        guard targets.count <= 10_000 else { throw .invalidParam("Too many devices in one claim") }
        return targets
    }

    /// `POST /keys/claim`: local users in one atomic store call, remote servers concurrently
    /// (each bounded by the request's `timeout`); servers that fail are named in `failures`.
    public func claim(body: JSONObject) async throws -> JSONValue {
        let targets = try Self.claimTargets(body)
        let local = targets.filter { identity.isLocal($0.userID) }
        let remoteTargets = targets.filter { !identity.isLocal($0.userID) }
        async let remoteAnswer = claimRemote(remoteTargets, timeout: Self.remoteTimeout(body))
        var oneTimeKeys = try await claimLocal(local, timeout: Self.remoteTimeout(body)).objectValue ?? [:]
        let (remoteKeys, failures) = await remoteAnswer
        for (userID, devices) in remoteKeys { oneTimeKeys[userID] = devices }
        return .object(["one_time_keys": .object(oneTimeKeys), "failures": .object(failures)])
    }

    private func claimRemote(_ targets: [ClaimTarget], timeout: Duration) async -> (JSONObject, JSONObject) {
        guard !targets.isEmpty else { return ([:], [:]) }
        if let remote { return await remote.claimRemote(targets, timeout: timeout) }
        return ([:], Self.unavailable(targets.map(\.userID)))
    }

    /// `failures` for servers that cannot be asked because federation is off.
    static func unavailable(_ userIDs: [String]) -> JSONObject {
        var failures: JSONObject = [:]
        for userID in userIDs {
            if let server = UserID(userID)?.serverName.rawValue {
                failures[server] = .object(["status": 503, "message": "Federation is not enabled"])
            }
        }
        return failures
    }

    /// Claims for local users and shapes them as `{user: {device: {keyID: key}}}`. The users of an
    /// application service that hands out their keys are claimed for through it (MSC3983), within
    /// `timeout`.
    public func claimLocal(_ targets: [ClaimTarget], timeout: Duration = .seconds(10)) async throws -> JSONValue {
        var result: [String: JSONObject] = [:]
        guard !targets.isEmpty else { return .object([:]) }
        var fallbacks = 0
        let claims: [ClaimedKey]
        if let appServices, targets.contains(where: { appServices.claimOwner(of: $0.userID) != nil }) {
            claims = try await claimWithAppServices(targets, appServices, timeout: timeout)
        } else {
            claims = try await store.claimKeys(targets, now: clock.now())
        }
        for claimed in claims {
            result[claimed.userID, default: [:]][claimed.deviceID] = .object([claimed.key.keyID: claimed.key.value])
            if claimed.isFallback { fallbacks += 1 }
        }
        metrics.oneTimeKeysClaimed.increment(by: Int64(claims.count - fallbacks))
        metrics.fallbackKeysClaimed.increment(by: Int64(fallbacks))
        return .object(JSONObject(result.mapValues { .object($0) }))
    }
}
