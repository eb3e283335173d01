import KeyportClientCrypto
import MatrixModel
import MatrixSigning

/// Cross-signing: the master key signs the self-signing and user-signing keys, the self-signing key
/// signs our own devices. The first device of an account makes all three and keeps their private
/// halves; it signs a new device of ours after the user compared its fingerprint (its Ed25519 key)
/// with what the new device shows. Devices without the private keys record the comparison locally,
/// which is what key requests and forwarded keys check.
extension MatrixClient {
    /// Creates and uploads cross-signing keys unless the account has a master key already, then
    /// signs this device. The upload is authorised with the password (user-interactive auth).
    @discardableResult
    public func bootstrapCrossSigningIfMissing(password: String) async throws -> Bool {
        let existing: JSONObject
        do {
            existing = try await api.call(.post, "/keys/query", body: ["device_keys": [userID: []]])
        } catch let error as HomeserverError {
            throw error.clientError
        }
        if existing["master_keys"]?[userID] != nil { return false }
        let master = Ed25519KeyPair()
        let selfSigning = Ed25519KeyPair()
        let userSigning = Ed25519KeyPair()
        let userID = userID
        let deviceID = deviceID
        let account = try await store.read { try $0.requireAccount() }
        func keyObject(_ pair: Ed25519KeyPair, usage: String) -> JSONObject {
            [
                "user_id": .string(userID), "usage": [.string(usage)],
                "keys": .object(["ed25519:\(pair.publicKey.base64)": .string(pair.publicKey.base64)]),
            ]
        }
        let masterObject = try account.signJSON(keyObject(master, usage: "master"), userID: userID, deviceID: deviceID)
        let selfSigningObject = try Self.crossSign(keyObject(selfSigning, usage: "self_signing"), with: master, userID)
        let userSigningObject = try Self.crossSign(keyObject(userSigning, usage: "user_signing"), with: master, userID)
        // Kept before the upload: a crash after it still leaves us the private keys.
        try await store.write { tx in
            try tx.saveCrossSigningKey("master", master)
            try tx.saveCrossSigningKey("self_signing", selfSigning)
            try tx.saveCrossSigningKey("user_signing", userSigning)
        }
        let api = api
        try await withPassword(password) { auth in
            var body: JSONObject = [
                "master_key": .object(masterObject), "self_signing_key": .object(selfSigningObject),
                "user_signing_key": .object(userSigningObject),
            ]
            if let auth { body["auth"] = .object(auth) }
            return try await api.call(.post, "/keys/device_signing/upload", body: .object(body))
        }
        try await signOwnDevice(deviceKeys: try account.deviceKeys(userID: userID, deviceID: deviceID))
        return true
    }

    static func crossSign(_ object: JSONObject, with pair: Ed25519KeyPair, _ userID: String) throws -> JSONObject {
        let signature = pair.sign(try SignedJSON.signingBytes(of: object))
        return SignedJSON.adding(
            Base64Unpadded.encode(signature), entity: userID, keyID: "ed25519:\(pair.publicKey.base64)", to: object)
    }

    /// Signs a device of ours with the self-signing key and uploads the signature; false if this
    /// device does not hold the self-signing key.
    @discardableResult
    func signOwnDevice(deviceKeys: JSONObject) async throws -> Bool {
        guard let selfSigning = try await store.read({ try $0.crossSigningKey("self_signing") }) else { return false }
        var unsigned = deviceKeys
        unsigned["signatures"] = nil
        unsigned["unsigned"] = nil
        let signed = try Self.crossSign(unsigned, with: selfSigning, userID)
        guard let deviceID = deviceKeys["device_id"]?.stringValue else { return false }
        let answer: JSONObject
        do {
            answer = try await api.call(
                .post, "/keys/signatures/upload", body: [userID: [deviceID: .object(signed)]])
        } catch let error as HomeserverError {
            throw error.clientError
        }
        if let failures = answer["failures"]?.objectValue, !failures.isEmpty {
            throw ClientError.refused("the server refused the signature: \(JSONValue.object(failures))")
        }
        return true
    }

    /// This device's keys: the fingerprint (Ed25519) another device compares.
    public func fingerprint() async throws -> JSONObject {
        let (account, master) = try await store.read { tx in
            (try tx.requireAccount(), try tx.crossSigningKey("master"))
        }
        var line: JSONObject = [
            "user_id": .string(userID), "device_id": .string(deviceID),
            "fingerprint": .string(account.ed25519Key.base64), "ed25519": .string(account.ed25519Key.base64),
            "curve25519": .string(account.curve25519Key.base64),
        ]
        if let master { line["master_key"] = .string(master.publicKey.base64) }
        return line
    }

    /// Verifies another device of ours once the user compared `fingerprint` with what it shows:
    /// refuses on a mismatch; records it as verified; signs it with the self-signing key if we hold it.
    public func verifyOwnDevice(deviceID target: String, fingerprint: String) async throws -> JSONObject {
        guard target != deviceID else { throw ClientError.refused("this is the current device") }
        try await store.write { [userID] tx in try tx.markOutdated(userID) }
        try await updateOutdatedDevices()
        let device = try await store.read { [userID] tx in try tx.device(userID: userID, deviceID: target) }
        guard let device, !device.deleted else {
            throw ClientError.refused("\(target) is not a device of \(userID)")
        }
        guard ConstantTimeText.equals(device.ed25519, fingerprint) else {
            throw ClientError.refused("fingerprint mismatch for \(target): the device's key is \(device.ed25519)")
        }
        try await store.write { tx in
            try tx.setVerified(userID: device.userID, deviceID: device.deviceID, ed25519: device.ed25519)
        }
        let query: JSONObject
        do {
            query = try await api.call(.post, "/keys/query", body: ["device_keys": [userID: [.string(target)]]])
        } catch let error as HomeserverError {
            throw error.clientError
        }
        var crossSigned = false
        if let keys = query["device_keys"]?[userID]?[target]?.objectValue,
            keys["keys"]?["ed25519:\(target)"]?.stringValue == device.ed25519
        {
            crossSigned = try await signOwnDevice(deviceKeys: keys)
        }
        return [
            "user_id": .string(userID), "device_id": .string(target), "verified": true,
            "cross_signed": .bool(crossSigned),
        ]
    }
}

/// Comparing a fingerprint the user typed without leaking where it differs.
enum ConstantTimeText {
    static func equals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
