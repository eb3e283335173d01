import KeyportSQLite
public import KeyportStore

extension SQLiteStore: CrossSigningStore {
    public func crossSigningKeys(userID: String) async throws -> [CrossSigningUsage: CrossSigningKeyRecord] {
        try await crossSigningKeys(userIDs: [userID])[userID] ?? [:]
    }

    public func crossSigningKeys(userIDs: [String]) async throws -> [String: [CrossSigningUsage: CrossSigningKeyRecord]]
    {
        try await pool.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT usage, public_key, key_json FROM cross_signing_keys WHERE user_id = ?")
            var result: [String: [CrossSigningUsage: CrossSigningKeyRecord]] = [:]
            for userID in Set(userIDs) {
                for row in try Row.fetchAll(statement, arguments: [userID]) {
                    guard let usage = CrossSigningUsage(rawValue: row["usage"]) else { continue }
                    result[userID, default: [:]][usage] = CrossSigningKeyRecord(
                        usage: usage, publicKey: row["public_key"], object: try Self.decodeObject(row["key_json"]))
                }
            }
            return result
        }
    }

    public func setCrossSigningKeys(userID: String, keys: [CrossSigningKeyRecord]) async throws {
        try await pool.write { db in
            var changedUsages: [CrossSigningUsage] = []
            for key in keys {
                let encoded = Self.encode(key.object)
                let stored = try Row.fetchOne(
                    db, sql: "SELECT public_key, key_json FROM cross_signing_keys WHERE user_id = ? AND usage = ?",
                    arguments: [userID, key.usage.rawValue])
                let storedJSON: String? = stored?["key_json"]
                if storedJSON == encoded { continue }
                let storedPublicKey: String? = stored?["public_key"]
                if let storedPublicKey, storedPublicKey != key.publicKey {
                    // Signatures over, or made by, a replaced key no longer mean anything.
                    try db.execute(
                        sql: "DELETE FROM key_signatures WHERE target_user_id = ? AND target_key_id = ?",
                        arguments: [userID, storedPublicKey])
                    try db.execute(
                        sql: "DELETE FROM key_signatures WHERE signer_user_id = ? AND signer_key_id = ?",
                        arguments: [userID, "ed25519:" + storedPublicKey])
                }
                try db.execute(
                    sql: """
                        INSERT INTO cross_signing_keys (user_id, usage, public_key, key_json) VALUES (?, ?, ?, ?)
                        ON CONFLICT (user_id, usage) DO UPDATE SET public_key = excluded.public_key, key_json = excluded.key_json
                        """,
                    arguments: [userID, key.usage.rawValue, key.publicKey, encoded])
                changedUsages.append(key.usage)
            }
            if let change = KeyChangeRules.crossSigningChange(userID: userID, changedUsages: changedUsages) {
                try Self.appendChange(db, change)
            }
        }
    }

    public func addSignatures(_ signatures: [KeySignature]) async throws {
        try await pool.write { db in
            var changed: [KeySignature] = []
            for signature in signatures {
                let stored = try String.fetchOne(
                    db,
                    sql: """
                        SELECT signature FROM key_signatures
                        WHERE target_user_id = ? AND target_key_id = ? AND signer_user_id = ? AND signer_key_id = ?
                        """,
                    arguments: [
                        signature.targetUserID, signature.targetKeyID, signature.signerUserID, signature.signerKeyID,
                    ])
                if stored == signature.signature { continue }
                try db.execute(
                    sql: """
                        INSERT INTO key_signatures (target_user_id, target_key_id, signer_user_id, signer_key_id, signature)
                        VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (target_user_id, target_key_id, signer_user_id, signer_key_id)
                        DO UPDATE SET signature = excluded.signature
                        """,
                    arguments: [
                        signature.targetUserID, signature.targetKeyID, signature.signerUserID, signature.signerKeyID,
                        signature.signature,
                    ])
                changed.append(signature)
            }
            let isDevice = try db.cachedStatement(sql: "SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?")
            let changes = try KeyChangeRules.signatureChanges(changed) { userID, keyID in
                try Bool.fetchOne(isDevice, arguments: [userID, keyID]) == true
            }
            for change in changes { try Self.appendChange(db, change) }
        }
    }

    public func signatures(targetUserIDs: [String]) async throws -> [KeySignature] {
        try await pool.read { db in
            let statement = try db.cachedStatement(
                sql: """
                    SELECT target_user_id, target_key_id, signer_user_id, signer_key_id, signature
                    FROM key_signatures WHERE target_user_id = ?
                    """)
            return try Set(targetUserIDs).flatMap { userID in
                try Row.fetchAll(statement, arguments: [userID]).map { row in
                    KeySignature(
                        targetUserID: row["target_user_id"], targetKeyID: row["target_key_id"],
                        signerUserID: row["signer_user_id"], signerKeyID: row["signer_key_id"],
                        signature: row["signature"])
                }
            }
        }
    }
}
