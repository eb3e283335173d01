import MatrixModel

/// Synapse's `rc_login.failed_attempts`: wrong passwords are limited per user and per client
/// address, at login and inside user-interactive auth alike. Once either bucket is empty every
/// attempt is refused with 429 before the password is even derived, so a token holder can neither
/// guess a password at speed nor keep the hashing threads busy.
public struct FailedPasswordAttempts: Sendable {
    let byUser: RateLimiter
    let byAddress: RateLimiter

    public init(limit: RateLimit = RateLimit(perSecond: 0.17, burst: 3)) {
        byUser = RateLimiter(limit: limit)
        byAddress = RateLimiter(limit: limit)
    }

    /// Throws 429 `M_LIMIT_EXCEEDED` if the user or the address has no failure left to spend.
    func ensureAllowed(userID: String, address: String?) async throws(MatrixError) {
        try await byUser.ensureAvailable(userID.lowercased())
        if let address { try await byAddress.ensureAvailable(address) }
    }

    /// Charges one failure to the user and the address.
    func recordFailure(userID: String, address: String?) async {
        await byUser.charge(userID.lowercased())
        if let address { await byAddress.charge(address) }
    }
}
