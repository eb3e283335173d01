public import MatrixModel

/// A local account.
public struct AccountRecord: Sendable, Equatable {
    public var userID: String
    /// `pbkdf2-sha256$<rounds>$<salt>$<hash>`, or nil for accounts that cannot log in with a password.
    public var passwordHash: String?
    public var isAdmin: Bool
    public var createdAt: Int64
    /// Deactivated by an admin: no password, no devices, and the user ID is never handed out again.
    public var deactivated: Bool

    public init(
        userID: String, passwordHash: String?, isAdmin: Bool = false, createdAt: Int64, deactivated: Bool = false
    ) {
        self.userID = userID
        self.passwordHash = passwordHash
        self.isAdmin = isAdmin
        self.createdAt = createdAt
        self.deactivated = deactivated
    }
}

/// A device of a local user.
public struct DeviceRecord: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var displayName: String?
    public var lastSeenIP: String?
    public var lastSeenTS: Int64?
    /// The user's dehydrated device (``DehydratedDeviceStore``), which has no access token.
    public var isDehydrated: Bool

    public init(
        userID: String, deviceID: String, displayName: String?, lastSeenIP: String? = nil, lastSeenTS: Int64? = nil,
        isDehydrated: Bool = false
    ) {
        self.userID = userID
        self.deviceID = deviceID
        self.displayName = displayName
        self.lastSeenIP = lastSeenIP
        self.lastSeenTS = lastSeenTS
        self.isDehydrated = isDehydrated
    }
}

/// Who is asking: the user and device an access token belongs to, or the user an application
/// service acts as with its `as_token` (its sender, or `?user_id=` in its namespace), on a device
/// it names (`?device_id=`) or on none.
public struct SessionRecord: Sendable, Equatable {
    public var userID: String
    /// Nil only when an application service acts without naming a device.
    public var deviceID: String?
    /// The application service acting, if the request carried its `as_token`.
    public var appServiceID: String?

    public init(userID: String, deviceID: String?, appServiceID: String? = nil) {
        self.userID = userID
        self.deviceID = deviceID
        self.appServiceID = appServiceID
    }

    /// What a client transaction ID is scoped to: the device, or for an application service acting
    /// without one the service (a value no device ID can take: device IDs hold no control
    /// characters), so two services acting as one user never share transaction IDs.
    public var transactionScope: String {
        deviceID ?? "\u{1}appservice \(appServiceID ?? "")"
    }
}

/// A device's published keys with its display name, as `/keys/query` serves them.
public struct StoredDeviceKeys: Sendable, Equatable {
    public var deviceID: String
    /// The device's `DeviceKeys` object as stored: compact JSON text written by `JSONWriter`
    /// (self-signature included, no `unsigned`); nil if none was uploaded.
    public var keysJSON: String?
    public var displayName: String?

    public init(deviceID: String, keysJSON: String?, displayName: String?) {
        self.deviceID = deviceID
        self.keysJSON = keysJSON
        self.displayName = displayName
    }

    public init(deviceID: String, keys: JSONObject?, displayName: String?) {
        self.init(
            deviceID: deviceID, keysJSON: keys.map { JSONValue.object($0).encodedString() }, displayName: displayName)
    }

    /// The parsed `DeviceKeys` object.
    public var keys: JSONObject? {
        keysJSON.flatMap { try? JSONFragment(trustedText: $0).parsed().objectValue }
    }
}

/// One-time or fallback key: `<algorithm>:<key id>` with its value (a string or a signed key object).
public struct OneTimeKey: Sendable, Equatable {
    public var keyID: String
    public var algorithm: String
    public var value: JSONValue

    public init(keyID: String, algorithm: String, value: JSONValue) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.value = value
    }
}

/// Everything one `/keys/upload` changes, applied atomically.
public struct KeyUpload: Sendable {
    public var userID: String
    public var deviceID: String
    /// New device keys with the ed25519 identity key they carry.
    public var deviceKeys: (object: JSONObject, ed25519: String)?
    public var oneTimeKeys: [OneTimeKey]
    /// At most one per algorithm; replaces the stored fallback key of that algorithm.
    public var fallbackKeys: [OneTimeKey]

    public init(
        userID: String, deviceID: String, deviceKeys: (object: JSONObject, ed25519: String)?,
        oneTimeKeys: [OneTimeKey], fallbackKeys: [OneTimeKey]
    ) {
        self.userID = userID
        self.deviceID = deviceID
        self.deviceKeys = deviceKeys
        self.oneTimeKeys = oneTimeKeys
        self.fallbackKeys = fallbackKeys
    }
}

/// One device to claim a key for.
public struct ClaimTarget: Sendable, Hashable {
    public var userID: String
    public var deviceID: String
    public var algorithm: String

    public init(userID: String, deviceID: String, algorithm: String) {
        self.userID = userID
        self.deviceID = deviceID
        self.algorithm = algorithm
    }
}

/// A key handed out by a claim.
public struct ClaimedKey: Sendable, Equatable {
    public var userID: String
    public var deviceID: String
    public var key: OneTimeKey
    /// True when the device had no one-time key left and its fallback key was returned.
    public var isFallback: Bool

    public init(userID: String, deviceID: String, key: OneTimeKey, isFallback: Bool) {
        self.userID = userID
        self.deviceID = deviceID
        self.key = key
        self.isFallback = isFallback
    }
}

/// The usages of cross-signing keys.
public enum CrossSigningUsage: String, Sendable, CaseIterable, Hashable {
    case master
    case selfSigning = "self_signing"
    case userSigning = "user_signing"
}

/// A cross-signing key as uploaded (without signatures added later by others).
public struct CrossSigningKeyRecord: Sendable, Equatable {
    public var usage: CrossSigningUsage
    /// The unpadded base64 public key.
    public var publicKey: String
    public var object: JSONObject

    public init(usage: CrossSigningUsage, publicKey: String, object: JSONObject) {
        self.usage = usage
        self.publicKey = publicKey
        self.object = object
    }
}

/// A signature by one key over another user's (or one's own) key, uploaded through
/// `/keys/signatures/upload`.
public struct KeySignature: Sendable, Equatable, Hashable {
    /// Owner of the signed key.
    public var targetUserID: String
    /// Device ID, or cross-signing public key, of the signed key.
    public var targetKeyID: String
    public var signerUserID: String
    /// `ed25519:<device id or public key>` of the signing key.
    public var signerKeyID: String
    public var signature: String

    public init(targetUserID: String, targetKeyID: String, signerUserID: String, signerKeyID: String, signature: String)
    {
        self.targetUserID = targetUserID
        self.targetKeyID = targetKeyID
        self.signerUserID = signerUserID
        self.signerKeyID = signerKeyID
        self.signature = signature
    }
}

/// One entry of the device-list stream.
public struct DeviceListChange: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Devices or device keys changed: visible to everyone sharing a room, and to the user.
        case device
        /// Master or self-signing key, or a public signature changed: same visibility.
        case crossSigning = "cross_signing"
        /// Only the user themselves is told (a new user-signing key or a signature made with it).
        case privateToUser = "private"
        /// A membership change in `roomID`.
        case membership
    }

    public var streamID: Int64
    public var userID: String
    public var kind: Kind
    public var deviceID: String?
    public var roomID: String?
    /// For `membership`: the new membership (`join`, `leave`, `invite`, `ban`).
    public var membership: String?

    public init(streamID: Int64, userID: String, kind: Kind, deviceID: String?, roomID: String?, membership: String?) {
        self.streamID = streamID
        self.userID = userID
        self.kind = kind
        self.deviceID = deviceID
        self.roomID = roomID
        self.membership = membership
    }
}
