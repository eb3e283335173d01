public import KeyportStore

/// Every service, built once by the composition root and shared by all routes.
public struct Services: Sendable {
    public let identity: ServerIdentity
    public let accounts: AccountService
    public let devices: DeviceService
    public let keys: KeyService
    public let crossSigning: CrossSigningService
    public let deviceLists: DeviceListService
    public let sharedSecret: SharedSecretRegistration
    public let clock: ServerClock

    public init(
        storage: any KeyportStorage, identity: ServerIdentity, policy: RegistrationPolicy, hasher: PasswordHasher,
        clock: ServerClock = .system
    ) {
        self.identity = identity
        self.clock = clock
        let accounts = AccountService(
            store: storage, identity: identity, hasher: hasher, clock: clock, policy: policy,
            interactiveAuth: UserInteractiveAuth())
        self.accounts = accounts
        self.devices = DeviceService(store: storage, accounts: accounts)
        self.keys = KeyService(store: storage, identity: identity, clock: clock)
        self.crossSigning = CrossSigningService(store: storage, accounts: accounts, identity: identity)
        self.deviceLists = DeviceListService(store: storage)
        self.sharedSecret = SharedSecretRegistration(secret: policy.sharedSecret)
    }
}
