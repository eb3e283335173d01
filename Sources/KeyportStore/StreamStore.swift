/// The device-list stream and the room memberships that decide who hears about whose changes.
public protocol StreamStore: Sendable {
    /// The newest stream position (0 when empty).
    func currentDeviceListPosition() async throws -> Int64

    /// Changes with `from < streamID <= to`, in stream order.
    func deviceListChanges(from: Int64, to: Int64) async throws -> [DeviceListChange]

    /// Users joined to at least one room that `userID` is joined to (`userID` not included).
    func usersSharingRoom(with userID: String) async throws -> Set<String>

    /// Current joined members of a room.
    func joinedMembers(roomID: String) async throws -> [String]

    /// Users joined to a room that `userID` was joined to at stream position `position`
    /// (`userID` not included): the answer depends only on the position, not on later changes.
    func usersSharingRoom(with userID: String, at position: Int64) async throws -> Set<String>

    /// The joined members of a room at stream position `position`.
    func joinedMembers(roomID: String, at position: Int64) async throws -> [String]

    /// Sets a user's membership in a room and records a `membership` change. Returns its position.
    @discardableResult
    func setMembership(roomID: String, userID: String, membership: String) async throws -> Int64
}

/// Everything Keyport keeps, as one value the composition root hands to the services.
public typealias KeyportStorage = AccountStore & DeviceStore & KeyStore & CrossSigningStore & StreamStore
    & ToDeviceStore & RoomStore & ServerKeyStore & FederationStore & OutboundPDUStore & RemoteDeviceStore
    & StoreHealth & AuthStateStore & LeaseStore & DestinationRetryStore & AccountDataStore
    & ProfileStore & KeyBackupStore & DehydratedDeviceStore & AppServiceStateStore
