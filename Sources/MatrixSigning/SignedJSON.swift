import Crypto
public import MatrixModel

/// The result of checking one signature: an expected negative outcome is a value, not a throw.
public enum SignatureCheck: Sendable, Equatable {
    case valid
    /// No signature by that entity and key ID.
    case missing
    /// A signature was there but does not verify (or the object cannot be canonicalised).
    case invalid(String)

    public var isValid: Bool { self == .valid }
}

/// Signing JSON per the Matrix appendix: `signatures` and `unsigned` removed, the rest
/// canonicalised and Ed25519-signed, the signature stored under `signatures[entity][keyID]`.
public enum SignedJSON {
    /// The bytes a signature covers.
    public static func signingBytes(of object: JSONObject) throws(JSONWriter.CanonicalError) -> [UInt8] {
        var stripped = object
        stripped["signatures"] = nil
        stripped["unsigned"] = nil
        return try JSONWriter.canonicalBytes(.object(stripped))
    }

    /// Adds a signature by `entity` with `key` to an object, keeping its other signatures.
    public static func sign(
        _ object: JSONObject, entity: String, key: SigningKey
    ) throws(JSONWriter.CanonicalError) -> JSONObject {
        adding(key.signature(for: try signingBytes(of: object)), entity: entity, keyID: key.keyID, to: object)
    }

    /// The object with `signature` stored under `signatures[entity][keyID]`, other signatures kept.
    public static func adding(_ signature: String, entity: String, keyID: String, to object: JSONObject) -> JSONObject {
        var signed = object
        var signatures = object["signatures"]?.objectValue ?? [:]
        var entitySignatures = signatures[entity]?.objectValue ?? [:]
        entitySignatures[keyID] = .string(signature)
        signatures[entity] = .object(entitySignatures)
        signed["signatures"] = .object(signatures)
        return signed
    }

    /// Checks the signature of `entity` under `keyID` against the unpadded-base64 Ed25519 public key.
    public static func verify(
        _ object: JSONObject, entity: String, keyID: String, publicKeyBase64: String
    ) -> SignatureCheck {
        guard let signature = object["signatures"]?[entity]?[keyID] else { return .missing }
        guard let signatureText = signature.stringValue, let signatureBytes = Base64Unpadded.decode(signatureText),
            signatureBytes.count == 64
        else { return .invalid("signature is not 64 bytes of base64") }
        guard let publicBytes = Base64Unpadded.decode(publicKeyBase64), publicBytes.count == 32,
            let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: publicBytes)
        else { return .invalid("public key is not 32 bytes of base64") }
        guard let bytes = try? signingBytes(of: object) else { return .invalid("object has no canonical JSON form") }
        return publicKey.isValidSignature(signatureBytes, for: bytes) ? .valid : .invalid("signature does not verify")
    }

    /// Checks a detached signature over raw bytes.
    public static func verify(bytes: [UInt8], signatureBase64: String, publicKeyBase64: String) -> Bool {
        guard let signature = Base64Unpadded.decode(signatureBase64), signature.count == 64,
            let publicBytes = Base64Unpadded.decode(publicKeyBase64), publicBytes.count == 32,
            let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: publicBytes)
        else { return false }
        return publicKey.isValidSignature(signature, for: bytes)
    }
}
