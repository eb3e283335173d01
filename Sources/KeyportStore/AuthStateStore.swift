/// Short-lived authentication state that every process serving the same database must see:
/// user-interactive-auth sessions and shared-secret registration nonces. Kept in the store so a
/// client may continue a session, or use a nonce, on any process behind a load balancer.
public protocol AuthStateStore: Sendable {
    /// Records a new user-interactive-auth session with no stage completed.
    func createAuthSession(id: String, now: Int64) async throws

    /// The stages completed in a session created at or after `notBefore`; nil for an unknown or
    /// expired session (expired ones are deleted on the way).
    func authSessionStages(id: String, notBefore: Int64) async throws -> Set<String>?

    /// Adds a completed stage to a session, if it exists.
    func completeAuthStage(id: String, stage: String) async throws

    /// Records a registration nonce issued now.
    func storeRegistrationNonce(_ nonce: String, now: Int64) async throws

    /// Consumes a nonce issued at or after `notBefore`: true exactly once, for one caller, across
    /// every process; false for an unknown, used or expired nonce.
    func consumeRegistrationNonce(_ nonce: String, notBefore: Int64) async throws -> Bool
}
