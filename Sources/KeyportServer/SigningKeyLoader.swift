import Foundation
public import MatrixSigning

/// Loads the server's signing key, generating it on first start (Synapse's file format).
public enum SigningKeyLoader {
    /// The first key in the file; creates the file (mode 0600) with a new key if it is missing.
    public static func loadOrGenerate(path: String) throws -> SigningKey {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return try SigningKeyFile.parse(text)[0]
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try manager.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let key = SigningKey.generate()
        guard
            manager.createFile(
                atPath: path, contents: Data(SigningKeyFile.format(key).utf8), attributes: [.posixPermissions: 0o600])
        else { throw ConfigError("cannot write the signing key to \(path)") }
        return key
    }
}
