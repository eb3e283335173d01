public import KeyportStore
public import MatrixModel

/// Accounts and sessions: registration, login, logout, token lookup.
public struct AccountService: Sendable {
    /// What a successful login or registration hands back.
    public struct LoginResult: Sendable, Equatable {
        public var userID: String
        public var deviceID: String
        public var accessToken: String
    }

    let store: any AccountStore & DeviceStore & ProfileStore
    let identity: ServerIdentity
    let hasher: PasswordHasher
    let clock: ServerClock
    public let policy: RegistrationPolicy
    public let interactiveAuth: UserInteractiveAuth
    let notifications: ChangeNotifications
    let failedAttempts: FailedPasswordAttempts
    let lastSeen = LastSeenThrottle()

    public init(
        store: any AccountStore & DeviceStore & ProfileStore, identity: ServerIdentity, hasher: PasswordHasher,
        clock: ServerClock,
        policy: RegistrationPolicy, interactiveAuth: UserInteractiveAuth, notifications: ChangeNotifications,
        failedAttempts: FailedPasswordAttempts = FailedPasswordAttempts()
    ) {
        self.failedAttempts = failedAttempts
        self.store = store
        self.identity = identity
        self.hasher = hasher
        self.clock = clock
        self.policy = policy
        self.interactiveAuth = interactiveAuth
        self.notifications = notifications
    }

    /// The session an access token opens, or `M_UNKNOWN_TOKEN`. Records the device's last-seen
    /// time and address now and then (`GET /devices` shows them).
    public func authenticate(accessToken: String, remoteAddress: String? = nil) async throws -> SessionRecord {
        guard let session = try await store.session(tokenHash: SecureTokens.hash(accessToken)) else {
            throw MatrixError.unknownToken()
        }
        let now = clock.now()
        if let deviceID = session.deviceID,
            await lastSeen.shouldRecord(userID: session.userID, deviceID: deviceID, now: now)
        {
            try await store.touchDevice(userID: session.userID, deviceID: deviceID, ip: remoteAddress, now: now)
        }
        return session
    }

    /// Validates a localpart for a new account and builds the user ID; a user ID an application
    /// service's exclusive namespace matches is refused with `M_EXCLUSIVE`, as Synapse does.
    public func newUserID(localpart: String) throws(MatrixError) -> UserID {
        guard UserID.isValidNewLocalpart(localpart) else {
            throw .invalidUsername("User ID may only contain characters a-z, 0-9, '.', '_', '=', '-', '/' and '+'")
        }
        guard !localpart.hasPrefix("_") else { throw .invalidUsername("User ID may not begin with '_'") }
        guard let userID = UserID(localpart: localpart, serverName: identity.serverName) else {
            throw .invalidUsername("User ID is longer than \(UserID.maxLength) characters")
        }
        if policy.applicationServices.exclusiveOwner(ofUser: userID.rawValue) != nil {
            throw .exclusive("This user ID is reserved by an application service.")
        }
        return userID
    }

    /// Throws `M_USER_IN_USE` if the user ID (ignoring case) exists.
    public func ensureAvailable(_ userID: UserID) async throws {
        if try await store.accountExists(userIDIgnoringCase: userID.rawValue) { throw MatrixError.userInUse() }
    }

    /// Creates an account and, unless `inhibitLogin`, logs in a first device. An account with no
    /// password (an application service's user) cannot log in with one.
    public func register(
        userID: UserID, password: String?, isAdmin: Bool = false, deviceID: String?, displayName: String?,
        inhibitLogin: Bool
    ) async throws -> (userID: String, login: LoginResult?) {
        if let password { try Self.validatePassword(password) }
        if let deviceID { try Self.validateDeviceID(deviceID) }
        var passwordHash: String?
        if let password { passwordHash = try await hasher.hash(password) }
        do {
            try await store.createAccount(
                AccountRecord(
                    userID: userID.rawValue, passwordHash: passwordHash, isAdmin: isAdmin, createdAt: clock.now()))
        } catch StoreError.conflict {
            throw MatrixError.userInUse()
        }
        // A new user is known by their localpart until they choose a name, as on Synapse.
        _ = try await store.setProfile(userID: userID.rawValue, Profile(displayName: userID.localpart))
        if inhibitLogin { return (userID.rawValue, nil) }
        let login = try await startSession(userID: userID.rawValue, deviceID: deviceID, displayName: displayName)
        return (userID.rawValue, login)
    }

    /// Checks a user's password; `M_FORBIDDEN` if it does not match or the user does not exist.
    public func login(
        user: String, password: String, deviceID: String?, displayName: String?, address: String? = nil
    ) async throws -> LoginResult {
        let userID = try resolveLocalUser(user)
        try await checkPassword(userID: userID, password: password, address: address)
        if let deviceID { try Self.validateDeviceID(deviceID) }
        return try await startSession(userID: userID, deviceID: deviceID, displayName: displayName)
    }

    /// Verifies the password of a local user; `M_FORBIDDEN` when wrong. Refused with 429 while
    /// the user or the client address has used up its failed attempts; a user that does not exist
    /// costs the same derivation as one that does.
    public func checkPassword(userID: String, password: String, address: String? = nil) async throws {
        try await failedAttempts.ensureAllowed(userID: userID, address: address)
        let matches: Bool
        if let account = try await store.account(userID: userID), let hash = account.passwordHash {
            matches = try await hasher.verify(password, against: hash)
        } else {
            matches = try await hasher.verifyWithoutAccount(password)
        }
        guard matches else {
            await failedAttempts.recordFailure(userID: userID, address: address)
            throw MatrixError.forbidden("Invalid username or password")
        }
    }

    /// Turns `alice` or `@alice:server` into a local user ID (as stored, case-insensitively).
    public func resolveLocalUser(_ user: String) throws(MatrixError) -> String {
        let candidate = user.hasPrefix("@") ? user : "@\(user.lowercased()):\(identity.serverName.rawValue)"
        guard let userID = UserID(candidate), identity.isLocal(userID) else {
            throw .forbidden("Invalid username or password")
        }
        return userID.rawValue
    }

    /// Logs out one session: the device goes with its keys and tokens, as the spec says.
    public func logout(_ session: SessionRecord) async throws {
        try await removeDevices(userID: session.userID, deviceIDs: [try session.requireDevice(to: "log out")])
    }

    /// Logs out every device of the user.
    public func logoutAll(userID: String) async throws {
        let devices = try await store.devices(userID: userID)
        try await removeDevices(userID: userID, deviceIDs: devices.map(\.deviceID))
    }

    /// Deletes devices of the user, each with its tokens and keys, and announces the change to
    /// the user, everyone sharing a room and the servers in those rooms. Every client path that
    /// removes devices comes here (logout, `DELETE /devices`, `/delete_devices`, a password
    /// change), so they cannot drift apart. Unknown devices are skipped; if none existed there is
    /// nothing to announce.
    func removeDevices(userID: String, deviceIDs: [String]) async throws {
        guard !(try await store.deleteDevices(userID: userID, deviceIDs: deviceIDs)).isEmpty else { return }
        try await notifications.deviceListChanged(of: userID)
    }

    func startSession(userID: String, deviceID: String?, displayName: String?) async throws -> LoginResult {
        let deviceID = deviceID ?? SecureTokens.deviceID()
        let token = SecureTokens.accessToken()
        try await store.createSession(
            userID: userID, deviceID: deviceID, initialDisplayName: displayName, tokenHash: SecureTokens.hash(token),
            now: clock.now())
        try await notifications.deviceListChanged(of: userID)
        return LoginResult(userID: userID, deviceID: deviceID, accessToken: token)
    }

    static func validatePassword(_ password: String) throws(MatrixError) {
        guard !password.isEmpty, password.utf8.count <= 512 else {
            throw .invalidParam("Password must be between 1 and 512 bytes")
        }
    }

    static func validateDeviceID(_ deviceID: String) throws(MatrixError) {
        guard IdentifierLimits.isValidDeviceID(deviceID) else { throw .invalidParam("Invalid device_id") }
    }
}
