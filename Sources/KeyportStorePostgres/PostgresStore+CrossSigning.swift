public import KeyportStore
import PostgresNIO

extension PostgresStore: CrossSigningStore {
    public func crossSigningKeys(userID: String) async throws -> [CrossSigningUsage: CrossSigningKeyRecord] {
        try await crossSigningKeys(userIDs: [userID])[userID] ?? [:]
    }

    public func crossSigningKeys(userIDs: [String]) async throws -> [String: [CrossSigningUsage: CrossSigningKeyRecord]]
    {
        try await single(.read) { db in
            var result: [String: [CrossSigningUsage: CrossSigningKeyRecord]] = [:]
            for row in try await db.rows(
                """
                SELECT user_id, usage, public_key, key_json FROM cross_signing_keys
                WHERE user_id = ANY(\(Array(Set(userIDs))))
                """)
            {
                let (userID, usageName, publicKey, json) = try row.decode((String, String, String, String).self)
                guard let usage = CrossSigningUsage(rawValue: usageName) else { continue }
                result[userID, default: [:]][usage] = CrossSigningKeyRecord(
                    usage: usage, publicKey: publicKey, object: try Self.decodeObject(json))
            }
            return result
        }
    }

    public func setCrossSigningKeys(userID: String, keys: [CrossSigningKeyRecord]) async throws {
        try await write { db in
            var changedUsages: [CrossSigningUsage] = []
            for key in keys {
                let encoded = Self.encode(key.object)
                let stored = try await db.rows(
                    """
                    SELECT public_key, key_json FROM cross_signing_keys
                    WHERE user_id = \(userID) AND usage = \(key.usage.rawValue) FOR UPDATE
                    """
                ).first.map { try $0.decode((String, String).self) }
                if stored?.1 == encoded { continue }
                if let storedPublicKey = stored?.0, storedPublicKey != key.publicKey {
                    // Signatures over, or made by, a replaced key no longer mean anything.
                    try await db.execute(
                        """
                        DELETE FROM key_signatures WHERE target_user_id = \(userID) AND target_key_id = \(storedPublicKey)
                        """)
                    try await db.execute(
                        """
                        DELETE FROM key_signatures
                        WHERE signer_user_id = \(userID) AND signer_key_id = \("ed25519:" + storedPublicKey)
                        """)
                }
                try await db.execute(
                    """
                    INSERT INTO cross_signing_keys (user_id, usage, public_key, key_json)
                    VALUES (\(userID), \(key.usage.rawValue), \(key.publicKey), \(encoded))
                    ON CONFLICT (user_id, usage)
                    DO UPDATE SET public_key = excluded.public_key, key_json = excluded.key_json
                    """)
                changedUsages.append(key.usage)
            }
            if let change = KeyChangeRules.crossSigningChange(userID: userID, changedUsages: changedUsages) {
                db.appendChange(change)
            }
        }
    }

    public func addSignatures(_ signatures: [KeySignature]) async throws {
        try await write { db in
            var changed: [KeySignature] = []
            for signature in signatures {
                // Stored or replaced only when different: the row comes back only then.
                let written = try await db.exists(
                    """
                    INSERT INTO key_signatures (target_user_id, target_key_id, signer_user_id, signer_key_id, signature)
                    VALUES (\(signature.targetUserID), \(signature.targetKeyID), \(signature.signerUserID),
                        \(signature.signerKeyID), \(signature.signature))
                    ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id)
                    DO UPDATE SET signature = excluded.signature
                    WHERE key_signatures.signature IS DISTINCT FROM excluded.signature
                    RETURNING 1
                    """)
                if written { changed.append(signature) }
            }
            // The rule asks whether each target is a device; the answers are read first, since the
            // rule's question is synchronous.
            var devices: Set<[String]> = []
            for signature in changed where signature.targetUserID == signature.signerUserID {
                if try await db.exists(
                    """
                    SELECT 1 FROM devices WHERE user_id = \(signature.targetUserID) AND device_id = \(signature.targetKeyID)
                    """)
                {
                    devices.insert([signature.targetUserID, signature.targetKeyID])
                }
            }
            let changes = KeyChangeRules.signatureChanges(changed) { userID, keyID in
                devices.contains([userID, keyID])
            }
            for change in changes { db.appendChange(change) }
        }
    }

    public func signatures(targetUserIDs: [String]) async throws -> [KeySignature] {
        try await single(.read) { db in
            try await db.rows(
                """
                SELECT target_user_id, target_key_id, signer_user_id, signer_key_id, signature
                FROM key_signatures WHERE target_user_id = ANY(\(Array(Set(targetUserIDs))))
                ORDER BY target_user_id, target_key_id, signer_user_id, signer_key_id
                """
            ).map { row in
                let (targetUser, targetKey, signerUser, signerKey, signature) = try row.decode(
                    (String, String, String, String, String).self)
                return KeySignature(
                    targetUserID: targetUser, targetKeyID: targetKey, signerUserID: signerUser, signerKeyID: signerKey,
                    signature: signature)
            }
        }
    }
}
