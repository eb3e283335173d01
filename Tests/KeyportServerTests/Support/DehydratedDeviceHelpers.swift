import Foundation
import Hummingbird
import KeyportServer
import MatrixModel
import Testing

/// A dehydrated device as a client makes it (MSC3814): real keys signed by the device, the
/// device keys marked `dehydrated`, and an opaque `device_data`.
struct DehydratedDevice: Sendable {
    static let data: JSONValue = ["algorithm": "org.matrix.msc3814.v2", "device_pickle": "PICKLE", "nonce": "NONCE"]

    let keys: DeviceKeyFactory
    var deviceID: String { keys.deviceID }

    /// The MSC asks for the device's Curve25519 key as its ID: unpadded base64, so `+` and `/`.
    init(_ user: TestUser, deviceID: String = "dehy+drated/\(UUID().uuidString.prefix(8))") {
        self.keys = DeviceKeyFactory(userID: user.userID, deviceID: deviceID)
    }

    /// Self-signed device keys with `dehydrated: true`.
    func deviceKeys() -> JSONValue {
        var object = keys.deviceKeys().objectValue ?? [:]
        object["signatures"] = nil
        object["dehydrated"] = true
        return keys.sign(.object(object))
    }

    /// The `PUT /dehydrated_device` body: device keys, `oneTimeKeys` one-time keys, a fallback key.
    func body(data: JSONValue = DehydratedDevice.data, oneTimeKeys: Int = 2) -> JSONObject {
        [
            "device_id": .string(deviceID), "device_data": data, "initial_device_display_name": "Dehydrated",
            "device_keys": deviceKeys(), "one_time_keys": keys.oneTimeKeys(count: oneTimeKeys),
            "fallback_keys": ["signed_curve25519:FALLBACK": keys.signedKey(fallback: true)],
        ]
    }

    /// `/dehydrated_device/{deviceId}/events` for this device.
    var eventsPath: String { Self.eventsPath(deviceID) }

    static func eventsPath(_ deviceID: String) -> String {
        MatrixClient.dehydratedPath + "/" + deviceID.addingPercentEncodingForQuery() + "/events"
    }
}

extension MatrixClient {
    static let dehydratedPath = "/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device"

    /// The test server's configuration with MSC3814 on (and the admin shared secret set).
    static func dehydratedConfig(directory: String = TestServer.temporaryDirectory()) -> KeyportConfig {
        var config = AdminAPITests.config(directory: directory)
        config.msc3814Enabled = true
        return config
    }

    /// `PUT /dehydrated_device`.
    func putDehydrated(_ user: TestUser, _ body: JSONObject) async throws -> Reply {
        try await request(.put, Self.dehydratedPath, token: user.token, body: .object(body))
    }

    /// `PUT /dehydrated_device` that must succeed.
    func dehydrate(_ user: TestUser, _ device: DehydratedDevice) async throws {
        let reply = try await putDehydrated(user, device.body())
        try #require(reply.status == 200, "PUT dehydrated_device failed: \(reply.body)")
    }

    /// `GET /dehydrated_device`.
    func getDehydrated(_ user: TestUser) async throws -> Reply {
        try await request(.get, Self.dehydratedPath, token: user.token)
    }

    /// `GET …/events`, with `from` when given (`query` is appended as it is).
    func dehydratedEvents(_ user: TestUser, _ deviceID: String, from: String? = nil, query: String = "") async throws
        -> Reply
    {
        var parameters = from.map { ["from=" + $0.addingPercentEncodingForQuery()] } ?? []
        if !query.isEmpty { parameters.append(query) }
        let suffix = parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&")
        return try await request(.get, DehydratedDevice.eventsPath(deviceID) + suffix, token: user.token)
    }

    /// Sends `count` to-device messages `{"n": i}` from `sender` to `deviceID` of `user`, one request each.
    func sendToDevice(from sender: TestUser, to user: TestUser, _ deviceID: String, count: Int) async throws {
        for index in 0..<count {
            let reply = try await client(
                .put, "/sendToDevice/m.room.encrypted/\(UUID().uuidString)", token: sender.token,
                body: ["messages": [user.userID: [deviceID: ["n": .int(Int64(index))]]]])
            try #require(reply.status == 200, "sendToDevice failed: \(reply.body)")
        }
    }

    /// Deletes a device through `DELETE /devices/{deviceId}` with the password.
    func deleteDevice(_ user: TestUser, _ deviceID: String) async throws -> Reply {
        let path = "/devices/" + deviceID.addingPercentEncodingForQuery()
        let challenge = try await client(.delete, path, token: user.token)
        var auth = user.passwordAuth
        auth["session"] = challenge["session"]
        return try await client(.delete, path, token: user.token, body: ["auth": auth])
    }
}

extension MatrixClient.Reply {
    /// The `n` of each event's content, in order.
    var numbers: [Int64] {
        body["events"]?.arrayValue?.compactMap { $0["content"]?["n"]?.intValue } ?? []
    }
}
