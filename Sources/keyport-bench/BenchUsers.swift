import AsyncHTTPClient
import Crypto
import MatrixModel
import MatrixSigning

/// A logged-in device with real Ed25519 keys, as the benchmark's clients use them.
struct BenchDevice: Sendable {
    let userID: String
    let deviceID: String
    let token: String
    let signingKey: SigningKey

    init(userID: String, deviceID: String, token: String) {
        self.userID = userID
        self.deviceID = deviceID
        self.token = token
        self.signingKey = SigningKey(version: deviceID, privateKey: Curve25519.Signing.PrivateKey())
    }

    /// Self-signed device keys.
    func deviceKeys() throws -> JSONValue {
        let curve = Base64Unpadded.encode(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation)
        let object: JSONObject = [
            "user_id": .string(userID), "device_id": .string(deviceID),
            "algorithms": ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"],
            "keys": .object([
                "ed25519:\(deviceID)": .string(signingKey.publicKeyBase64), "curve25519:\(deviceID)": .string(curve),
            ]),
        ]
        return .object(try SignedJSON.sign(object, entity: userID, key: signingKey))
    }

    /// A signed `signed_curve25519` key object.
    func signedKey(fallback: Bool = false) throws -> JSONValue {
        var object: JSONObject = [
            "key": .string(Base64Unpadded.encode(Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation))
        ]
        if fallback { object["fallback"] = true }
        return .object(try SignedJSON.sign(object, entity: userID, key: signingKey))
    }
}

/// Creates the users and devices scenarios need, through the client-server API only.
struct BenchUsers {
    let client: BenchClient
    let prefix: String
    let password = "bench-password-1"

    /// Registers a user (dummy auth) and returns its first device.
    func register(_ name: String) async throws -> BenchDevice {
        let reply = try await client.call(
            .post, "/register",
            body: [
                "username": .string("\(prefix)\(name)"), "password": .string(password),
                "auth": ["type": "m.login.dummy"], "initial_device_display_name": "bench",
            ])
        return BenchDevice(
            userID: reply["user_id"]?.stringValue ?? "", deviceID: reply["device_id"]?.stringValue ?? "",
            token: reply["access_token"]?.stringValue ?? "")
    }

    /// Logs in another device of a user.
    func login(_ user: BenchDevice) async throws -> BenchDevice {
        let reply = try await client.call(
            .post, "/login",
            body: [
                "type": "m.login.password", "identifier": ["type": "m.id.user", "user": .string(user.userID)],
                "password": .string(password),
            ])
        return BenchDevice(
            userID: user.userID, deviceID: reply["device_id"]?.stringValue ?? "",
            token: reply["access_token"]?.stringValue ?? "")
    }

    /// Uploads self-signed device keys for each device, `width` at a time.
    func uploadDeviceKeys(_ devices: [BenchDevice], width: Int = 8) async throws {
        try await forEach(devices, width: width) { device in
            try await client.call(
                .post, "/keys/upload", token: device.token, body: ["device_keys": try device.deviceKeys()])
        }
    }
}

/// Runs `body` for every element with at most `width` in flight.
func forEach<T: Sendable>(_ items: [T], width: Int, _ body: @escaping @Sendable (T) async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var iterator = items.makeIterator()
        for _ in 0..<width {
            guard let item = iterator.next() else { break }
            group.addTask { try await body(item) }
        }
        while try await group.next() != nil {
            if let item = iterator.next() { group.addTask { try await body(item) } }
        }
    }
}
