import Crypto
import MatrixModel
import _CryptoExtras

/// Password hashing with PBKDF2-HMAC-SHA256 from swift-crypto, stored as
/// `pbkdf2-sha256$<rounds>$<base64 salt>$<base64 hash>` so the cost can rise later. Every
/// derivation runs on `pool`, never on the cooperative pool.
public struct PasswordHasher: Sendable {
    /// Rounds for new hashes. OWASP's figure for PBKDF2-SHA256 is 600,000; tests may lower it.
    public let rounds: Int
    /// Where derivations run.
    public let pool: KeyDerivationPool

    public init(rounds: Int = 600_000, pool: KeyDerivationPool = KeyDerivationPool()) {
        self.rounds = max(1, rounds)
        self.pool = pool
    }

    public func hash(_ password: String) async throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let rounds = rounds
        let derived = try await pool.run { Self.derive(password, salt: salt, rounds: rounds) }
        return "pbkdf2-sha256$\(rounds)$\(Base64Unpadded.encode(salt))$\(Base64Unpadded.encode(derived))"
    }

    /// Checks a password against a stored hash in constant time; false for malformed hashes.
    public func verify(_ password: String, against stored: String) async throws -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), rounds > 0,
            let salt = Base64Unpadded.decode(String(parts[2])), let expected = Base64Unpadded.decode(String(parts[3]))
        else { return false }
        let derived = try await pool.run { Self.derive(password, salt: salt, rounds: rounds) }
        guard derived.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (lhs, rhs) in zip(derived, expected) { difference |= lhs ^ rhs }
        return difference == 0
    }

    /// Spends what checking a password of an existing account costs, for an account that does
    /// not exist or has no password, so the answer's timing does not tell which users exist.
    /// Always false.
    public func verifyWithoutAccount(_ password: String) async throws -> Bool {
        let rounds = rounds
        _ = try await pool.run { Self.derive(password, salt: Self.absentSalt, rounds: rounds) }
        return false
    }

    private static let absentSalt = [UInt8](repeating: 0, count: 16)

    private static func derive(_ password: String, salt: [UInt8], rounds: Int) -> [UInt8] {
        let key = try! KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }
}
