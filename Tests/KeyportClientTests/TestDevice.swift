import Foundation
import KeyportClient
import KeyportClientCrypto
import MatrixModel

/// One client device on a store in a temporary directory, logged in without a server: enough to
/// drive the store, Olm, Megolm and the sync processor with hand-made `/sync` answers.
struct TestDevice: Sendable {
    /// Removes the store's directory once the last device on it is gone.
    final class Directory: Sendable {
        let path: String

        init() {
            path =
                FileManager.default.temporaryDirectory.appendingPathComponent(
                    "keyport-client-tests-\(UUID().uuidString)"
                ).path
        }

        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    let owner: Directory
    var directory: String { owner.path }
    let store: ClientStore
    let userID: String
    let deviceID: String

    init(_ userID: String, _ deviceID: String) async throws {
        owner = Directory()
        store = try ClientStore(directory: owner.path)
        self.userID = userID
        self.deviceID = deviceID
        let identity = ClientIdentity(
            homeserver: "http://127.0.0.1:1", userID: userID, deviceID: deviceID, accessToken: "token")
        try await store.write { tx in
            try tx.saveIdentity(identity)
            try tx.saveAccount(OlmAccount())
            try tx.trackUser(userID)
        }
    }

    /// The same directory opened again, as a restarted process would.
    func reopened() throws -> TestDevice { try TestDevice(reopening: self) }

    private init(reopening other: TestDevice) throws {
        owner = other.owner
        store = try ClientStore(directory: other.directory)
        userID = other.userID
        deviceID = other.deviceID
    }

    func info() async throws -> DeviceInfo {
        let account = try await store.read { try $0.requireAccount() }
        return DeviceInfo(
            userID: userID, deviceID: deviceID, curve25519: account.curve25519Key.base64,
            ed25519: account.ed25519Key.base64)
    }

    /// Makes one one-time key and returns it signed, as `/keys/claim` would.
    func claimOneTimeKey() async throws -> JSONObject {
        let (userID, deviceID) = (userID, deviceID)
        return try await store.write { tx in
            var account = try tx.requireAccount()
            account.generateOneTimeKeys(1)
            let signed = try account.signedOneTimeKeys(userID: userID, deviceID: deviceID)
            account.markKeysAsPublished()
            try tx.saveAccount(account)
            return signed.first!.value.objectValue!
        }
    }

    /// Learns about `other` as `/keys/query` would tell it.
    func learn(_ other: TestDevice) async throws {
        let device = try await other.info()
        try await store.write { tx in try tx.saveDevice(device) }
    }

    /// Starts an Olm session to `other` from one of its one-time keys.
    func startSession(to other: TestDevice) async throws {
        let key = try await other.claimOneTimeKey()
        let device = try await other.info()
        let channel = OlmChannel(userID: userID, deviceID: deviceID)
        try await store.write { tx in
            try tx.saveDevice(device)
            try channel.createSession(with: device, signedOneTimeKey: key, in: tx)
        }
    }

    /// An Olm-encrypted to-device event for `recipient` (whose keys we may misstate on purpose).
    func toDevice(type: String, content: JSONObject, for recipient: DeviceInfo) async throws -> JSONValue {
        let channel = OlmChannel(userID: userID, deviceID: deviceID)
        let encrypted = try await store.write { tx in
            try channel.encrypt(type: type, content: content, for: recipient, in: tx)
        }
        return ["sender": .string(userID), "type": "m.room.encrypted", "content": .object(encrypted)]
    }

    /// Applies a hand-made `/sync` answer.
    func apply(_ response: JSONObject) async throws -> SyncSummary {
        let processor = SyncProcessor(userID: userID, deviceID: deviceID)
        return try await store.write { tx in try processor.apply(response, in: tx) }
    }

    static func syncResponse(
        batch: String, toDevice: [JSONValue] = [], roomID: String? = nil, timeline: [JSONValue] = []
    ) -> JSONObject {
        var response: JSONObject = ["next_batch": .string(batch), "to_device": ["events": .array(toDevice)]]
        if let roomID {
            response["rooms"] = ["join": .object([roomID: ["timeline": ["events": .array(timeline)]]])]
        }
        return response
    }
}

/// A room where `sender` has an outbound Megolm session: its `m.room_key` content and encrypted events.
struct TestRoom: Sendable {
    let roomID: String
    let sender: TestDevice
    let roomKey: JSONObject

    init(_ roomID: String, sender: TestDevice) async throws {
        self.roomID = roomID
        self.sender = sender
        let megolm = MegolmRoomCrypto(userID: sender.userID, deviceID: sender.deviceID)
        roomKey = try await sender.store.write { tx in
            try tx.setRoomEncryption(
                roomID: roomID,
                RoomEncryption(algorithm: MegolmRoomCrypto.algorithm, rotationMessages: 100, rotationMs: 1_000_000))
            let record = try megolm.startOutboundSession(roomID: roomID, in: tx)
            return MegolmRoomCrypto.roomKeyContent(roomID: roomID, session: record.session)
        }
    }

    var sessionID: String { roomKey["session_id"]!.stringValue! }

    /// A timeline event carrying `text`, encrypted with the next Megolm index.
    func message(_ text: String, eventID: String) async throws -> JSONValue {
        let megolm = MegolmRoomCrypto(userID: sender.userID, deviceID: sender.deviceID)
        let roomID = roomID
        let content = try await sender.store.write { tx in
            try megolm.encrypt(
                roomID: roomID, type: "m.room.message", content: ["msgtype": "m.text", "body": .string(text)], in: tx)
        }
        return [
            "event_id": .string(eventID), "sender": .string(sender.userID), "type": "m.room.encrypted",
            "origin_server_ts": 1_700_000_000_000, "content": .object(content),
        ]
    }
}
