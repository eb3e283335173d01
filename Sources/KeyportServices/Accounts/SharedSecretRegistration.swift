import Crypto
public import MatrixModel

/// Synapse's shared-secret admin registration (`/_synapse/admin/v1/register`), byte for byte,
/// so that `register_new_matrix_user` works: a single-use nonce valid for 60 s, and an
/// HMAC-SHA1 keyed by the shared secret over `nonce NUL username NUL password NUL admin|notadmin
/// [NUL user_type]`, hex encoded.
public actor SharedSecretRegistration {
    private let secret: String?
    private var nonces: [String: ContinuousClock.Instant] = [:]
    private let clock = ContinuousClock()

    public init(secret: String?) {
        self.secret = secret
    }

    /// A new nonce, or 400 if shared-secret registration is off.
    public func issueNonce() throws(MatrixError) -> String {
        guard secret != nil else { throw .badJSON("Shared secret registration is not enabled") }
        let now = clock.now
        nonces = nonces.filter { now - $0.value < .seconds(60) }
        let nonce = SecureTokens.random(length: 32)
        nonces[nonce] = now
        return nonce
    }

    /// Consumes the nonce and checks the MAC; throws the error Synapse gives for each failure.
    public func verify(
        nonce: String, username: String, password: String, admin: Bool, userType: String?, mac: String
    ) throws(MatrixError) {
        guard let secret else { throw .badJSON("Shared secret registration is not enabled") }
        guard let issued = nonces.removeValue(forKey: nonce), clock.now - issued < .seconds(60) else {
            throw .invalidParam("unrecognised nonce")
        }
        var message = Array(nonce.utf8) + [0] + Array(username.utf8) + [0] + Array(password.utf8) + [0]
        message += Array((admin ? "admin" : "notadmin").utf8)
        if let userType { message += [0] + Array(userType.utf8) }
        let expected = HMAC<Insecure.SHA1>.authenticationCode(
            for: message, using: SymmetricKey(data: Array(secret.utf8)))
        let expectedHex = expected.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
        guard Self.constantTimeEqual(expectedHex, mac.lowercased()) else { throw .forbidden("HMAC incorrect") }
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
