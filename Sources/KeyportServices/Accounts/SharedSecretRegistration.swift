import Crypto
public import KeyportStore
import MatrixModel

/// Synapse's shared-secret admin registration (`/_synapse/admin/v1/register`), byte for byte,
/// so that `register_new_matrix_user` works: a single-use nonce valid for 60 s, and an
/// HMAC-SHA1 keyed by the shared secret over `nonce NUL username NUL password NUL admin|notadmin
/// [NUL user_type]`, hex encoded. Nonces live in the store, so one issued by one process is
/// accepted, once, by any process serving the same database.
public struct SharedSecretRegistration: Sendable {
    private let secret: String?
    private let store: any AuthStateStore
    private let clock: ServerClock
    /// Milliseconds a nonce stays valid.
    static let nonceLifetime: Int64 = 60_000

    public init(secret: String?, store: any AuthStateStore, clock: ServerClock) {
        self.secret = secret
        self.store = store
        self.clock = clock
    }

    /// A new nonce, or 400 if shared-secret registration is off.
    public func issueNonce() async throws -> String {
        guard secret != nil else { throw MatrixError.badJSON("Shared secret registration is not enabled") }
        let nonce = SecureTokens.random(length: 32)
        try await store.storeRegistrationNonce(nonce, now: clock.now())
        return nonce
    }

    /// Consumes the nonce and checks the MAC; throws the error Synapse gives for each failure.
    public func verify(
        nonce: String, username: String, password: String, admin: Bool, userType: String?, mac: String
    ) async throws {
        guard let secret else { throw MatrixError.badJSON("Shared secret registration is not enabled") }
        guard try await store.consumeRegistrationNonce(nonce, notBefore: clock.now() - Self.nonceLifetime) else {
            throw MatrixError.invalidParam("unrecognised nonce")
        }
        var message = Array(nonce.utf8) + [0] + Array(username.utf8) + [0] + Array(password.utf8) + [0]
        message += Array((admin ? "admin" : "notadmin").utf8)
        if let userType { message += [0] + Array(userType.utf8) }
        let expected = HMAC<Insecure.SHA1>.authenticationCode(
            for: message, using: SymmetricKey(data: Array(secret.utf8)))
        let expectedHex = expected.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
        guard Self.constantTimeEqual(expectedHex, mac.lowercased()) else {
            throw MatrixError.forbidden("HMAC incorrect")
        }
    }

    private static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(left, right) { difference |= a ^ b }
        return difference == 0
    }
}
