import Crypto
import MatrixModel
import _CryptoExtras

/// Password hashing with PBKDF2-HMAC-SHA256 from swift-crypto, stored as
/// `pbkdf2-sha256$<rounds>$<base64 salt>$<base64 hash>` so the cost can rise later.
public struct PasswordHasher: Sendable {
    /// Rounds for new hashes. OWASP's figure for PBKDF2-SHA256 is 600,000; tests may lower it.
    public let rounds: Int

    public init(rounds: Int = 600_000) {
        self.rounds = max(1, rounds)
    }

    public func hash(_ password: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let derived = Self.derive(password, salt: salt, rounds: rounds)
        return "pbkdf2-sha256$\(rounds)$\(Base64Unpadded.encode(salt))$\(Base64Unpadded.encode(derived))"
    }

    /// Checks a password against a stored hash in constant time; false for malformed hashes.
    public func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds > 0,
            let salt = Base64Unpadded.decode(String(parts[2])), let expected = Base64Unpadded.decode(String(parts[3]))
        else { return false }
        let derived = Self.derive(password, salt: salt, rounds: rounds)
        guard derived.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (lhs, rhs) in zip(derived, expected) { difference |= lhs ^ rhs }
        return difference == 0
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int) -> [UInt8] {
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}
