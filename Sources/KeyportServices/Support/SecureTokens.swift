import Crypto

/// Random identifiers and the hashes under which secrets are stored.
public enum SecureTokens {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// A random string of `length` letters and digits from the system's secure generator.
    public static func random(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// A new access token: `kp_` and 40 random characters (~238 bits).
    public static func accessToken() -> String { "kp_" + random(length: 40) }

    /// A new device ID: 10 upper-case letters, as Synapse makes them.
    public static func deviceID() -> String {
        var generator = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return String((0..<10).map { _ in letters.randomElement(using: &generator)! })
    }

    /// Hex SHA-256 of a secret; tokens are stored only as this.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
