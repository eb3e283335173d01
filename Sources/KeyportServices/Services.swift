public import KeyportStore

/// Every service, built once by the composition root and shared by all routes.
public struct Services: Sendable {
    public let identity: ServerIdentity
    public let accounts: AccountService
    public let devices: DeviceService
    public let dehydratedDevices: DehydratedDeviceService
    public let keys: KeyService
    public let crossSigning: CrossSigningService
    public let keyBackup: KeyBackupService
    public let deviceLists: DeviceListService
    public let sharedSecret: SharedSecretRegistration
    public let toDevice: ToDeviceService
    public let rooms: RoomService
    /// Queues stored local room events for the other servers in their rooms.
    public let outboundRoomEvents: OutboundRoomEvents
    public let sync: SyncService
    public let filters: FilterService
    public let notifications: ChangeNotifications
    public let clock: ServerClock
    public let admin: AdminService
    public let accountData: AccountDataService
    public let profiles: ProfileService

    public init(
        storage: any KeyportStorage, identity: ServerIdentity, policy: RegistrationPolicy, hasher: PasswordHasher,
        clock: ServerClock = .system, notifier: SyncNotifier = SyncNotifier(),
        outbound: OutboundSignal = OutboundSignal(), bus: any ChangeBus = SingleProcessChangeBus(),
        remoteKeys: (any RemoteKeyQuerying)? = nil, remoteProfiles: (any RemoteProfileQuerying)? = nil,
        remoteRooms: (any RemoteRoomMembership)? = nil,
        failedPasswordAttempts: RateLimit = RateLimit(perSecond: 0.17, burst: 3),
        metrics: ServiceMetrics = ServiceMetrics(), appServiceKeys: AppServiceKeyDelegation? = nil,
        appServiceSignal: OutboundSignal = OutboundSignal()
    ) {
        self.identity = identity
        self.clock = clock
        let notifications = ChangeNotifications(
            store: storage, notifier: notifier, outbound: outbound, bus: bus, appServices: appServiceSignal)
        self.notifications = notifications
        let accounts = AccountService(
            store: storage, identity: identity, hasher: hasher, clock: clock, policy: policy,
            interactiveAuth: UserInteractiveAuth(store: storage, clock: clock), notifications: notifications,
            failedAttempts: FailedPasswordAttempts(limit: failedPasswordAttempts))
        self.accounts = accounts
        self.devices = DeviceService(store: storage, accounts: accounts, notifications: notifications)
        let keys = KeyService(
            store: storage, identity: identity, clock: clock, notifications: notifications, remote: remoteKeys,
            metrics: metrics, appServices: appServiceKeys)
        self.keys = keys
        self.dehydratedDevices = DehydratedDeviceService(
            store: storage, keys: keys, clock: clock, notifications: notifications)
        self.crossSigning = CrossSigningService(
            store: storage, accounts: accounts, identity: identity, notifications: notifications, keys: keys)
        self.keyBackup = KeyBackupService(store: storage)
        let deviceLists = DeviceListService(store: storage)
        self.deviceLists = deviceLists
        self.sharedSecret = SharedSecretRegistration(secret: policy.sharedSecret, store: storage, clock: clock)
        self.toDevice = ToDeviceService(store: storage, identity: identity, clock: clock, notifications: notifications)
        let outboundRoomEvents = OutboundRoomEvents(
            store: storage, identity: identity, clock: clock, notifications: notifications)
        self.outboundRoomEvents = outboundRoomEvents
        let rooms = RoomService(
            store: storage, identity: identity, clock: clock, notifications: notifications, remote: remoteRooms,
            outbound: outboundRoomEvents)
        self.rooms = rooms
        self.profiles = ProfileService(store: storage, identity: identity, rooms: rooms, remote: remoteProfiles)
        self.filters = FilterService(store: storage)
        self.admin = AdminService(store: storage, identity: identity, notifications: notifications, rooms: rooms)
        self.accountData = AccountDataService(store: storage, notifications: notifications)
        self.sync = SyncService(
            store: storage, deviceLists: deviceLists, keys: keys, notifier: notifier, clock: clock, metrics: metrics)
    }
}
