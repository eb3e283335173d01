public import MatrixModel

/// Device keys, one-time keys and fallback keys of local devices.
public protocol KeyStore: Sendable {
    /// Applies one upload atomically and returns the device's unclaimed one-time key counts per
    /// algorithm. Nothing is stored when it throws:
    /// - ``StoreError/identityKeyChanged`` if device keys carry an ed25519 key other than the stored one;
    /// - ``StoreError/keyConflict(keyID:)`` if a one-time key ID was uploaded before (claimed or not)
    ///   with different content; the same ID with identical content is skipped.
    /// A change of the stored device keys records a device-list change.
    func uploadKeys(_ upload: KeyUpload) async throws -> [String: Int]

    /// Unclaimed one-time key counts per algorithm for one device.
    func oneTimeKeyCounts(userID: String, deviceID: String) async throws -> [String: Int]

    /// Algorithms whose fallback key has not been handed out since it was uploaded.
    func unusedFallbackKeyTypes(userID: String, deviceID: String) async throws -> [String]

    /// The stored device keys of one device (the ed25519 identity lives in `keys`), or nil.
    func deviceKeys(userID: String, deviceID: String) async throws -> JSONObject?

    /// Devices with their keys and display names for each user; an empty device list means all
    /// devices. Users with no devices map to an empty list; devices that do not exist are omitted.
    func queryDevices(_ request: [String: [String]]) async throws -> [String: [StoredDeviceKeys]]

    /// Claims one key per target in a single atomic operation, from what `source` allows: the
    /// oldest unclaimed one-time key of the algorithm, otherwise the fallback key (marked used,
    /// kept). Each one-time key is returned by at most one call, ever. Targets with no key are
    /// omitted.
    func claimKeys(_ targets: [ClaimTarget], now: Int64, from source: ClaimSource) async throws -> [ClaimedKey]
}

/// Which stored keys a claim may hand out. A claim for an application service's users takes the
/// one-time keys first, asks the service for the rest, and only then the fallback keys (MSC3983),
/// so a fallback key is not marked used when the service had keys.
public enum ClaimSource: Sendable {
    case oneTimeKeysThenFallback
    case oneTimeKeysOnly
    case fallbackOnly

    public var oneTimeKeys: Bool { self != .fallbackOnly }
    public var fallback: Bool { self != .oneTimeKeysOnly }
}

extension KeyStore {
    /// A claim of one-time keys, and the fallback key where none is left.
    public func claimKeys(_ targets: [ClaimTarget], now: Int64) async throws -> [ClaimedKey] {
        try await claimKeys(targets, now: now, from: .oneTimeKeysThenFallback)
    }
}
