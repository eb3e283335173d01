/// Local accounts and their access tokens.
public protocol AccountStore: Sendable {
    /// Creates an account. Throws ``StoreError/conflict(_:)`` if the user ID exists
    /// (case-insensitively, as Synapse compares them).
    func createAccount(_ account: AccountRecord) async throws

    /// The account, or nil.
    func account(userID: String) async throws -> AccountRecord?

    /// True if a user ID equal to this one ignoring case exists.
    func accountExists(userIDIgnoringCase userID: String) async throws -> Bool

    /// The user and device an access token (by its SHA-256 hash) belongs to, or nil.
    func session(tokenHash: String) async throws -> SessionRecord?
}
