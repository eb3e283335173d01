public import MatrixModel
public import MatrixSigning

/// Hashing and signing PDUs with server keys, and checking their signatures
/// (https://spec.matrix.org/latest/server-server-api/#signing-events and
/// #validating-hashes-and-signatures-on-received-events). Signatures cover the redacted event, so
/// a redacted copy still verifies.
public enum PDUSigning {
    /// Sets `hashes.sha256` to the content hash, then adds `serverName`'s signature over the redacted
    /// event, keeping signatures already there (a resident server co-signing a join).
    public static func hashAndSign(
        _ event: JSONObject, version: RoomVersion, serverName: String, key: SigningKey
    ) throws(JSONWriter.CanonicalError) -> JSONObject {
        var hashed = event
        hashed["hashes"] = .object(["sha256": .string(try EventHashes.contentHash(of: event))])
        return try sign(hashed, version: version, serverName: serverName, key: key)
    }

    /// Adds `serverName`'s signature over the redacted event, leaving the hashes as they are.
    public static func sign(
        _ event: JSONObject, version: RoomVersion, serverName: String, key: SigningKey
    ) throws(JSONWriter.CanonicalError) -> JSONObject {
        let redacted = Redaction.redact(event, rules: version.redactionRules)
        let signature = key.signature(for: try SignedJSON.signingBytes(of: redacted))
        return SignedJSON.adding(signature, entity: serverName, keyID: key.keyID, to: event)
    }

    /// The servers whose signatures a PDU must carry: the sender's, and for a restricted join the
    /// server of the user in `join_authorised_via_users_server`.
    public static func requiredSigners(of pdu: PDU) -> Set<String> {
        var servers: Set<String> = []
        if let server = pdu.senderServer { servers.insert(server) }
        if pdu.type == EventType.member, pdu.membership == "join",
            let authoriser = pdu.content["join_authorised_via_users_server"]?.stringValue,
            let server = UserID(authoriser)?.serverName.rawValue
        {
            servers.insert(server)
        }
        return servers
    }

    /// Whether `server` signed the event with any key `publicKey` knows (key ID → unpadded base64
    /// Ed25519 public key, as valid at the event's `origin_server_ts`).
    public static func check(
        _ pdu: PDU, signedBy server: String, publicKey: (_ server: String, _ keyID: String) -> String?
    ) -> SignatureCheck {
        guard let byKey = pdu.object["signatures"]?[server]?.objectValue, !byKey.isEmpty else { return .missing }
        let redacted = Redaction.redact(pdu.object, rules: pdu.roomVersion.redactionRules)
        var lastFailure: SignatureCheck = .missing
        for keyID in byKey.keys.sorted() where keyID.hasPrefix("ed25519:") {
            guard let key = publicKey(server, keyID) else { continue }
            let check = SignedJSON.verify(redacted, entity: server, keyID: keyID, publicKeyBase64: key)
            if check.isValid { return .valid }
            lastFailure = check
        }
        return lastFailure
    }

    /// The first required signer (plus `alsoRequired`, e.g. the resident server of a `send_join`)
    /// whose signature is missing or wrong, or nil when every one verifies.
    public static func firstSignatureFailure(
        _ pdu: PDU, alsoRequired: Set<String> = [],
        publicKey: (_ server: String, _ keyID: String) -> String?
    ) -> (server: String, check: SignatureCheck)? {
        for server in requiredSigners(of: pdu).union(alsoRequired).sorted() {
            let result = check(pdu, signedBy: server, publicKey: publicKey)
            if !result.isValid { return (server, result) }
        }
        return nil
    }
}
