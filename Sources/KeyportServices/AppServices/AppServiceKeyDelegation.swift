public import KeyportStore
public import MatrixModel

/// What the key service asks an application service for its users' keys: the HTTP calls and the
/// checks of what comes back live with the other outbound HTTP code (`AppServiceClient`).
public protocol ApplicationServiceKeyQuerying: Sendable {
    /// One-time keys for the targets, as the service hands them out (MSC3983): only keys that fit
    /// a target (its user, device and algorithm), at most as many per target as asked.
    func claimKeys(_ targets: [ClaimTarget], from service: ApplicationService, timeout: Duration) async throws
        -> [ClaimedKey]

    /// The service's users' device keys and cross-signing keys (MSC3984), shaped as a
    /// `/keys/query` answer (`device_keys`, `master_keys`, `self_signing_keys`), holding only keys
    /// whose user and device are what was asked and whose signatures check.
    func queryKeys(_ request: [String: [String]], from service: ApplicationService, timeout: Duration) async throws
        -> JSONObject
}

/// Which keys are asked of application services, and of which: their exclusive users' one-time
/// keys (`experimental_features.msc3983_appservice_otk_claims`) and device and cross-signing keys
/// (`msc3984_appservice_key_query`).
public struct AppServiceKeyDelegation: Sendable {
    public let registry: ApplicationServiceRegistry
    public let claims: Bool
    public let queries: Bool
    let client: any ApplicationServiceKeyQuerying

    public init(
        registry: ApplicationServiceRegistry, claims: Bool, queries: Bool, client: any ApplicationServiceKeyQuerying
    ) {
        self.registry = registry
        self.claims = claims
        self.queries = queries
        self.client = client
    }

    /// The service to ask for a user's one-time keys, if any.
    func claimOwner(of userID: String) -> ApplicationService? {
        claims ? registry.exclusiveOwner(ofUser: userID) : nil
    }

    /// The service to ask for a user's device and cross-signing keys, if any.
    func queryOwner(of userID: String) -> ApplicationService? {
        queries ? registry.exclusiveOwner(ofUser: userID) : nil
    }
}
