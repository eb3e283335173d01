public import KeyportStore
public import MatrixModel
public import Testing

/// Makes a store on fresh, empty storage. Every call gives an independent store.
public typealias StoreFactory = @Sendable () async throws -> any KeyportStorage

/// One engine-independent check of the store contracts in `KeyportStore`. This library is the
/// conformance suite every engine's test target runs unchanged.
///
/// An engine runs the suite with one parameterised test:
///
///     @Test(arguments: StoreConformance.checks)
///     func conformance(check: StoreCheck) async throws { try await check.run { try MyStore(...) } }
public struct StoreCheck: Sendable, CustomTestStringConvertible {
    public let name: String
    public let run: @Sendable (_ makeStore: StoreFactory) async throws -> Void

    init(_ name: String, _ run: @escaping @Sendable (_ makeStore: StoreFactory) async throws -> Void) {
        self.name = name
        self.run = run
    }

    public var testDescription: String { name }
}

public enum StoreConformance {
    /// Every check, grouped by protocol.
    public static let checks: [StoreCheck] =
        AccountChecks.all + DeviceChecks.all + KeyUploadChecks.all + KeyClaimChecks.all + CrossSigningChecks.all
        + StreamChecks.all + ToDeviceChecks.all + RoomChecks.all + RoomGraphChecks.all + FederationChecks.all
        + OutboundPDUChecks.all
        + HealthChecks.all
        + QueueCountChecks.all + AuthStateChecks.all + LeaseChecks.all
        + DestinationRetryChecks.all + AccountDataChecks.all + ProfileChecks.all + KeyBackupChecks.all
        + DehydratedDeviceChecks.all + AppServiceStateChecks.all
}

// MARK: - Fixtures shared by the checks

public let alice = "@alice:example.com"
public let bob = "@bob:example.com"
public let carol = "@carol:example.com"

extension StoreError {
    var isConflict: Bool {
        if case .conflict = self { return true }
        return false
    }
}

/// Creates accounts for the users.
public func createAccounts(_ store: any KeyportStorage, _ userIDs: String..., now: Int64 = 1_000) async throws {
    for userID in userIDs {
        try await store.createAccount(AccountRecord(userID: userID, passwordHash: nil, createdAt: now))
    }
}

/// Creates a session (and the device if needed) with the token hash `token-<user>-<device>`.
public func login(_ store: any KeyportStorage, _ userID: String, _ deviceID: String, displayName: String? = nil)
    async throws
{
    try await store.createSession(
        userID: userID, deviceID: deviceID, initialDisplayName: displayName, tokenHash: "token-\(userID)-\(deviceID)",
        now: 2_000)
}

/// A device keys object as a client uploads it.
public func deviceKeys(_ userID: String, _ deviceID: String, ed25519: String = "ED-KEY", curve: String = "CURVE-KEY")
    -> (object: JSONObject, ed25519: String)
{
    let object: JSONObject = [
        "user_id": .string(userID), "device_id": .string(deviceID),
        "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
        "keys": [
            "ed25519:\(deviceID)": .string(ed25519),
            "curve25519:\(deviceID)": .string(curve),
        ],
        "signatures": [userID: ["ed25519:\(deviceID)": "SIG"]],
    ]
    return (object, ed25519)
}

/// A `signed_curve25519` one-time key `signed_curve25519:<name>` whose value depends on `content`.
public func otk(_ name: String, content: String? = nil, algorithm: String = "signed_curve25519") -> OneTimeKey {
    OneTimeKey(
        keyID: "\(algorithm):\(name)", algorithm: algorithm,
        value: ["key": .string(content ?? "value-of-\(name)"), "signatures": ["@x:y": ["ed25519:D": "S"]]])
}

/// An upload of one-time and fallback keys, and optionally device keys.
public func upload(
    _ userID: String, _ deviceID: String, deviceKeys: (object: JSONObject, ed25519: String)? = nil,
    otks: [OneTimeKey] = [], fallbacks: [OneTimeKey] = []
) -> KeyUpload {
    KeyUpload(userID: userID, deviceID: deviceID, deviceKeys: deviceKeys, oneTimeKeys: otks, fallbackKeys: fallbacks)
}

public func claimTarget(_ userID: String, _ deviceID: String, _ algorithm: String = "signed_curve25519") -> ClaimTarget
{
    ClaimTarget(userID: userID, deviceID: deviceID, algorithm: algorithm)
}

/// The changes recorded after stream position `position`.
public func changes(_ store: any KeyportStorage, after position: Int64) async throws -> [DeviceListChange] {
    try await store.deviceListChanges(from: position, to: try await store.currentDeviceListPosition())
}

/// `(user, kind, device)` of each change, for compact comparisons.
public func summary(_ changes: [DeviceListChange]) -> [String] {
    changes.map { "\($0.userID) \($0.kind.rawValue) \($0.deviceID ?? "-")" }
}
