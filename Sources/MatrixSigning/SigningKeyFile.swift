public import MatrixModel

/// Synapse's signing key file format: one key per line, `ed25519 <version> <unpadded base64 seed>`.
public enum SigningKeyFile {
    /// Reads every key in the text; throws on a malformed line.
    public static func parse(_ text: String) throws(MatrixError) -> [SigningKey] {
        var keys: [SigningKey] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.isEmpty { continue }
            guard fields.count == 3, fields[0] == "ed25519", let seed = Base64Unpadded.decode(String(fields[2])),
                seed.count == 32, let key = try? SigningKey(version: String(fields[1]), seed: seed)
            else {
                throw MatrixError.unknown("signing key file line \(number + 1) is not 'ed25519 <version> <seed>'")
            }
            keys.append(key)
        }
        guard !keys.isEmpty else { throw MatrixError.unknown("signing key file holds no key") }
        return keys
    }

    /// The file line for a key.
    public static func format(_ key: SigningKey) -> String {
        "ed25519 \(key.version) \(Base64Unpadded.encode(key.seed))\n"
    }
}
