import KeyportSQLite
public import KeyportStore

/// The owner and key ID a signature was made over.
private struct SignedTarget: Hashable {
    var userID: String
    var keyID: String
}

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
            var publicChange = false
            var privateChange = false
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
                if key.usage == .userSigning { privateChange = true } else { publicChange = true }
            }
            if publicChange {
                try Self.appendChange(db, userID: userID, kind: .crossSigning)
            } else if privateChange {
                try Self.appendChange(db, userID: userID, kind: .privateToUser)
            }
        }
    }

    public func addSignatures(_ signatures: [KeySignature]) async throws {
        try await pool.write { db in
            var publicChanges: Set<String> = []
            var publicTargets: Set<SignedTarget> = []
            var privateChanges: Set<String> = []
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
                if signature.targetUserID == signature.signerUserID {
                    publicChanges.insert(signature.targetUserID)
                    publicTargets.insert(SignedTarget(userID: signature.targetUserID, keyID: signature.targetKeyID))
                } else {
                    privateChanges.insert(signature.signerUserID)
                }
            }
            // A signature on a device is a change of that device (its keys now carry the signature,
            // and other servers get an m.device_list_update for it); any other is a cross-signing change.
            let isDevice = try db.cachedStatement(sql: "SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?")
            for target in publicTargets.sorted(by: { ($0.userID, $0.keyID) < ($1.userID, $1.keyID) }) {
                if try Bool.fetchOne(isDevice, arguments: [target.userID, target.keyID]) == true {
                    try Self.appendChange(db, userID: target.userID, kind: .device, deviceID: target.keyID)
                } else {
                    try Self.appendChange(db, userID: target.userID, kind: .crossSigning)
                }
            }
            for userID in privateChanges.subtracting(publicChanges).sorted() {
                try Self.appendChange(db, userID: userID, kind: .privateToUser)
            }
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
