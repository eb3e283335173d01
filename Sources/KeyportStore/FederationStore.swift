public import MatrixModel

/// A public key of another server, as fetched from its `/_matrix/key/v2/server` and checked.
public struct ServerKeyRecord: Sendable, Equatable {
    public var serverName: String
    public var keyID: String
    public var publicKey: String
    /// Milliseconds: the key may be used to check requests until then (current keys).
    public var validUntilTS: Int64
    /// Milliseconds: set for an old key, valid for what was signed before then.
    public var expiredTS: Int64?

    public init(serverName: String, keyID: String, publicKey: String, validUntilTS: Int64, expiredTS: Int64?) {
        self.serverName = serverName
        self.keyID = keyID
        self.publicKey = publicKey
        self.validUntilTS = validUntilTS
        self.expiredTS = expiredTS
    }
}

/// An EDU waiting in a destination's durable outbound queue.
public struct QueuedEDU: Sendable, Equatable {
    public var id: Int64
    public var destination: String
    public var type: String
    public var content: JSONObject

    public init(id: Int64 = 0, destination: String, type: String, content: JSONObject) {
        self.id = id
        self.destination = destination
        self.type = type
        self.content = content
    }
}

/// Keys of other servers, cached durably by key ID (guarantee 4).
public protocol ServerKeyStore: Sendable {
    /// Inserts or replaces keys.
    func storeServerKeys(_ keys: [ServerKeyRecord]) async throws
    /// Every cached key of a server.
    func serverKeys(serverName: String) async throws -> [ServerKeyRecord]
}

/// What federation transactions need stored: inbound transaction replies, the outbound queue per
/// destination (guarantees 2 and 3), and the `prev_id` chains of device-list updates.
public protocol FederationStore: Sendable {
    /// The reply recorded for a transaction already processed, if any.
    func transactionResponse(origin: String, transactionID: String) async throws -> String?
    /// Records the reply to a processed transaction.
    func recordTransaction(origin: String, transactionID: String, response: String, now: Int64) async throws

    /// Appends EDUs to their destinations' queues.
    func enqueueEDUs(_ edus: [QueuedEDU], now: Int64) async throws
    /// Up to `limit` queued EDUs for a destination: to-device EDUs first, each kind oldest first.
    func queuedEDUs(destination: String, limit: Int) async throws -> [QueuedEDU]
    /// Deletes EDUs that the destination acknowledged, in one transaction with a check that
    /// `lease` (the destination's sending lease) is still held; false, deleting nothing, when it
    /// was lost: the new holder sends them again.
    func deleteQueuedEDUs(ids: [Int64], under lease: Lease) async throws -> Bool
    /// Destinations with something queued.
    func destinationsWithQueuedEDUs() async throws -> [String]
    /// How many EDUs wait in each destination's queue (destinations with none are absent).
    func queuedEDUCounts() async throws -> [String: Int]

    /// Servers (other than `localServer`) with a user joined to a room `userID` is joined to.
    func remoteServersSharingRoom(with userID: String, localServer: String) async throws -> Set<String>
    /// The position of the user's latest device or cross-signing change (0 if none): the
    /// `stream_id` of their device list as `GET /user/devices` reports it.
    func latestDeviceListStreamID(userID: String) async throws -> Int64
    /// Where the device-list fan-out has read the device-list stream up to.
    func deviceListFanOutPosition() async throws -> Int64
    /// Queues `m.device_list_update` / `m.signing_key_update` EDUs and moves the fan-out position
    /// from `from` to `position`, in one transaction, only if the position still is `from`: false,
    /// queueing nothing, when another process moved it first (so a range is queued once). For
    /// device-list updates, `prev_id` is filled from the last `stream_id` queued for that
    /// (destination, user), so each destination sees one unbroken chain per user.
    func enqueueDeviceListFanOut(_ edus: [QueuedEDU], from: Int64, upTo position: Int64, now: Int64) async throws
        -> Bool
}

/// One device in a cached remote device list.
public struct RemoteDevice: Sendable, Equatable {
    public var deviceID: String
    public var displayName: String?
    /// The device keys as the owner's server sent them (signatures checked), if it has any.
    public var keys: JSONObject?

    public init(deviceID: String, displayName: String?, keys: JSONObject?) {
        self.deviceID = deviceID
        self.displayName = displayName
        self.keys = keys
    }
}

/// A remote user's cached device list and cross-signing keys.
public struct RemoteDeviceList: Sendable, Equatable {
    public var userID: String
    public var streamID: Int64
    /// True when an update was missed: the list must be fetched again before it is trusted.
    public var stale: Bool
    public var devices: [RemoteDevice]
    public var masterKey: JSONObject?
    public var selfSigningKey: JSONObject?

    public init(
        userID: String, streamID: Int64, stale: Bool, devices: [RemoteDevice], masterKey: JSONObject?,
        selfSigningKey: JSONObject?
    ) {
        self.userID = userID
        self.streamID = streamID
        self.stale = stale
        self.devices = devices
        self.masterKey = masterKey
        self.selfSigningKey = selfSigningKey
    }
}

/// One `m.device_list_update` from a remote server.
public struct RemoteDeviceUpdate: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var streamID: Int64
    public var prevIDs: [Int64]
    public var deleted: Bool
    public var displayName: String?
    public var keys: JSONObject?

    public init(
        userID: String, deviceID: String, streamID: Int64, prevIDs: [Int64], deleted: Bool, displayName: String?,
        keys: JSONObject?
    ) {
        self.userID = userID
        self.deviceID = deviceID
        self.streamID = streamID
        self.prevIDs = prevIDs
        self.deleted = deleted
        self.displayName = displayName
        self.keys = keys
    }
}

/// The cache of remote users' device lists (guarantee 3).
public protocol RemoteDeviceStore: Sendable {
    func remoteDeviceList(userID: String) async throws -> RemoteDeviceList?
    /// Replaces the whole cached list (a resync), clears the stale mark and records a device-list
    /// change so local users sharing a room are told.
    func replaceRemoteDeviceList(_ list: RemoteDeviceList) async throws
    /// Applies one update if the list is cached, not stale, and every `prev_id` was seen; returns
    /// false (and marks the user stale) otherwise. Applied updates record a device-list change.
    func applyRemoteDeviceUpdate(_ update: RemoteDeviceUpdate) async throws -> Bool
    /// Marks a user's list stale (creating an empty stale entry if none is cached).
    func markRemoteDeviceListStale(userID: String) async throws
    /// Users whose cached list is stale.
    func staleRemoteDeviceLists() async throws -> [String]
    /// Replaces cached cross-signing keys given in an `m.signing_key_update` (nil = unchanged) and
    /// records a change.
    func updateRemoteCrossSigningKeys(userID: String, master: JSONObject?, selfSigning: JSONObject?) async throws
    /// Forgets a remote user's list (no room is shared any more).
    func forgetRemoteDeviceList(userID: String) async throws
}
