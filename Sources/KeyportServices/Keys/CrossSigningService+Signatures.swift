public import KeyportStore
public import MatrixModel
import MatrixSigning

extension CrossSigningService {
    /// `POST /keys/signatures/upload`: stores each valid new signature and reports each invalid one
    /// under `failures[user][key_id]` with an errcode — never a silent drop.
    public func uploadSignatures(session: SessionRecord, body: JSONObject) async throws -> JSONValue {
        let signer = session.userID
        let signerKeys = try await store.crossSigningKeys(userID: signer)
        var accepted: [KeySignature] = []
        var failures: [String: JSONObject] = [:]
        for (targetUser, items) in body.sorted(by: { $0.key < $1.key }) {
            guard let items = items.objectValue else {
                throw MatrixError.badJSON("\(targetUser) must map key IDs to objects")
            }
            for (keyID, item) in items.sorted(by: { $0.key < $1.key }) {
                do {
                    guard let object = item.objectValue else {
                        throw MatrixError.badJSON("The signed object must be an object")
                    }
                    accepted += try await checkSignatures(
                        object, targetUser: targetUser, keyID: keyID, signer: signer, signerKeys: signerKeys)
                } catch let error as MatrixError {
                    failures[targetUser, default: [:]][keyID] = .object([
                        "errcode": .string(error.errcode), "error": .string(error.message),
                    ])
                }
            }
        }
        if !accepted.isEmpty {
            try await store.addSignatures(accepted)
            try await notifications.deviceListChanged(of: signer)
        }
        return .object(["failures": .object(JSONObject(failures.mapValues { .object($0) }))])
    }

    private func checkSignatures(
        _ object: JSONObject, targetUser: String, keyID: String, signer: String,
        signerKeys: [CrossSigningUsage: CrossSigningKeyRecord]
    ) async throws -> [KeySignature] {
        let stored: JSONObject
        let signerKeyFor: (String) async throws -> String?
        if targetUser == signer {
            if let deviceKeys = try await store.deviceKeys(userID: signer, deviceID: keyID) {
                // One's own device, signed by one's self-signing key.
                stored = deviceKeys
                let selfSigning = signerKeys[.selfSigning]?.publicKey
                signerKeyFor = { signerKeyID in selfSigning.flatMap { "ed25519:\($0)" == signerKeyID ? $0 : nil } }
            } else if let master = signerKeys[.master], master.publicKey == keyID {
                // One's own master key, signed by one of one's devices.
                stored = master.object
                signerKeyFor = { signerKeyID in
                    guard signerKeyID.hasPrefix("ed25519:") else { return nil }
                    let deviceID = String(signerKeyID.dropFirst("ed25519:".count))
                    return try await store.deviceKeys(userID: signer, deviceID: deviceID)?["keys"]?[signerKeyID]?
                        .stringValue
                }
            } else {
                throw MatrixError.notFound("No device or master key '\(keyID)' of \(targetUser)")
            }
        } else {
            // Another user's master key, signed by one's user-signing key. A user on another
            // server has their key fetched from there (or the device-list cache); the signature is
            // kept here and shown only to the signer, as Synapse does.
            let master: JSONObject?
            if identity.isLocal(targetUser) {
                master = try await store.crossSigningKeys(userID: targetUser)[.master].flatMap {
                    $0.publicKey == keyID ? $0.object : nil
                }
            } else {
                master = await keys?.remoteMasterKey(of: targetUser, keyID: keyID)
            }
            guard let master else {
                throw MatrixError.notFound("No master key '\(keyID)' of \(targetUser)")
            }
            stored = master
            let userSigning = signerKeys[.userSigning]?.publicKey
            signerKeyFor = { signerKeyID in userSigning.flatMap { "ed25519:\($0)" == signerKeyID ? $0 : nil } }
        }
        var comparable = object
        comparable["signatures"] = nil
        comparable["unsigned"] = nil
        var storedComparable = stored
        storedComparable["signatures"] = nil
        storedComparable["unsigned"] = nil
        guard comparable == storedComparable else {
            throw MatrixError.invalidSignature("The signed object does not match the stored key")
        }
        let existing = stored["signatures"]?[signer]?.objectValue ?? [:]
        let offered = object["signatures"]?[signer]?.objectValue ?? [:]
        var result: [KeySignature] = []
        for (signerKeyID, signature) in offered.sorted(by: { $0.key < $1.key }) where existing[signerKeyID] == nil {
            guard let publicKey = try await signerKeyFor(signerKeyID) else {
                throw MatrixError.invalidSignature("\(signerKeyID) is not a key that may sign this object")
            }
            guard SignedJSON.verify(object, entity: signer, keyID: signerKeyID, publicKeyBase64: publicKey).isValid,
                let text = signature.stringValue
            else { throw MatrixError.invalidSignature("Invalid signature by \(signerKeyID)") }
            result.append(
                KeySignature(
                    targetUserID: targetUser, targetKeyID: keyID, signerUserID: signer, signerKeyID: signerKeyID,
                    signature: text))
        }
        guard !result.isEmpty else {
            throw MatrixError.invalidSignature("No new signature by \(signer) on this object")
        }
        return result
    }
}
