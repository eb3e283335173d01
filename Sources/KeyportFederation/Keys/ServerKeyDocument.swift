public import KeyportServices
public import KeyportStore
public import MatrixModel
import MatrixSigning

/// A key this server used before, still published in `old_verify_keys` so that what it signed
/// can be checked (`old_signing_keys` in the configuration, as in Synapse).
public struct OldVerifyKey: Sendable, Equatable {
    public var keyID: String
    public var publicKey: String
    public var expiredTS: Int64

    public init(keyID: String, publicKey: String, expiredTS: Int64) {
        self.keyID = keyID
        self.publicKey = publicKey
        self.expiredTS = expiredTS
    }
}

/// The body of `GET /_matrix/key/v2/server`: our name, current key, old keys and a future
/// `valid_until_ts`, signed with the current key.
public enum ServerKeyDocument {
    public static func make(identity: ServerIdentity, oldKeys: [OldVerifyKey], validUntilTS: Int64) -> JSONObject {
        var old: JSONObject = [:]
        for key in oldKeys {
            old[key.keyID] = .object(["key": .string(key.publicKey), "expired_ts": .int(key.expiredTS)])
        }
        let document: JSONObject = [
            "server_name": .string(identity.serverName.rawValue),
            "verify_keys": .object([
                identity.signingKey.keyID: .object(["key": .string(identity.signingKey.publicKeyBase64)])
            ]),
            "old_verify_keys": .object(old),
            "valid_until_ts": .int(validUntilTS),
        ]
        // Every value above is canonical (strings, integers), so signing cannot fail.
        return (try? SignedJSON.sign(document, entity: identity.serverName.rawValue, key: identity.signingKey))
            ?? document
    }

    /// Checks a document fetched from `serverName`: its name, a `valid_until_ts` after `now`, and a
    /// valid self-signature by every current key. Returns the keys to cache, or nil if it fails.
    public static func verify(_ document: JSONObject, serverName: String, now: Int64) -> [ServerKeyRecord]? {
        guard document["server_name"]?.stringValue == serverName,
            let validUntil = document["valid_until_ts"]?.intValue, validUntil > now,
            let verifyKeys = document["verify_keys"]?.objectValue, !verifyKeys.isEmpty
        else { return nil }
        var records: [ServerKeyRecord] = []
        for (keyID, entry) in verifyKeys {
            guard keyID.hasPrefix("ed25519:"), let key = entry.objectValue?["key"]?.stringValue,
                SignedJSON.verify(document, entity: serverName, keyID: keyID, publicKeyBase64: key).isValid
            else { return nil }
            records.append(
                ServerKeyRecord(
                    serverName: serverName, keyID: keyID, publicKey: key, validUntilTS: validUntil, expiredTS: nil))
        }
        for (keyID, entry) in document["old_verify_keys"]?.objectValue ?? [:] {
            guard keyID.hasPrefix("ed25519:"), verifyKeys[keyID] == nil, let object = entry.objectValue,
                let key = object["key"]?.stringValue, let expired = object["expired_ts"]?.intValue
            else { continue }
            records.append(
                ServerKeyRecord(
                    serverName: serverName, keyID: keyID, publicKey: key, validUntilTS: expired, expiredTS: expired))
        }
        return records
    }
}
