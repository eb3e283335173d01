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

    /// Replaces the password hash of an account that is not deactivated. Returns false, changing
    /// nothing, if there is no such account or it is deactivated (a deactivated account keeps no
    /// password, so it cannot be given one back).
    func setPasswordHash(userID: String, hash: String) async throws -> Bool

    /// Deletes every access token of the user except the one whose hash is `tokenHash`. Devices
    /// and their keys stay, so it records no device-list change. Returns how many tokens went.
    @discardableResult
    func deleteAccessTokens(userID: String, keeping tokenHash: String) async throws -> Int

    /// Accounts in user-ID order, skipping `offset`, at most `limit` (the admin API's paging).
    func accounts(offset: Int, limit: Int) async throws -> [AccountRecord]

    /// How many accounts exist, deactivated ones included.
    func accountCount() async throws -> Int

    /// Deactivates an account in one transaction: the password is removed, every device is deleted
    /// as `deleteDevices` deletes one (tokens, keys, inbox; a `device` change each), the
    /// cross-signing keys and the signatures by and over them go (a `cross_signing` change), every
    /// key backup version is deleted with its keys (as `deleteBackupVersion` deletes one), and the
    /// account is marked deactivated. Returns false if there is no such account.
    func deactivateAccount(userID: String) async throws -> Bool
}
