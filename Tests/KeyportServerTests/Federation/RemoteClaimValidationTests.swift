import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import Logging
import MatrixModel
import MatrixSigning
import Testing

@testable import KeyportFederation

/// A peer's `/user/keys/claim` answer reaches the client only as far as it fits what was asked.
@Suite struct RemoteClaimValidationTests {
    static func signed(_ user: String, _ device: String) -> JSONValue {
        ["key": "K", "signatures": .object([user: .object(["ed25519:\(device)": "sig"])])]
    }

    /// Answers every claim with one honest key for `GOOD` devices, and with what a lying or broken
    /// peer could add: two keys for `MANY`, a string for `BROKEN`, a device not asked for, and a
    /// user of another server.
    static func answer(_ request: FakePeer.Request) -> (status: Int, body: JSONValue) {
        guard request.path == "/_matrix/federation/v1/user/keys/claim" else { return (404, [:]) }
        var users: JSONObject = [:]
        for (userID, devices) in request.body?["one_time_keys"]?.objectValue ?? [:] {
            var answer: JSONObject = ["NOTASKED": ["signed_curve25519:N": signed(userID, "NOTASKED")]]
            for (deviceID, _) in devices.objectValue ?? [:] {
                switch deviceID {
                case "MANY":
                    answer[deviceID] = [
                        "signed_curve25519:M1": signed(userID, deviceID),
                        "signed_curve25519:M2": signed(userID, deviceID),
                    ]
                case "BROKEN": answer[deviceID] = ["signed_curve25519:B": "not a key object"]
                default: answer[deviceID] = ["signed_curve25519:G": signed(userID, deviceID)]
                }
            }
            users[userID] = .object(answer)
        }
        users["@mallory:elsewhere.example"] = ["M": ["signed_curve25519:X": signed("@mallory:elsewhere.example", "M")]]
        return (200, ["one_time_keys": .object(users)])
    }

    @Test func aPeersClaimAnswerIsCheckedBeforeTheClientSeesIt() async throws {
        try await FakePeer.run(Self.answer) { peer in
            let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/claims.db")
            let identity = ServerIdentity(serverName: ServerName("origin.test")!, signingKey: SigningKey.generate())
            let bob = "@bob:\(peer)"
            let (keys, failures) = try await FakePeer.withClient(identity) { client in
                let directory = RemoteKeyDirectory(
                    store: store, client: client,
                    deviceLists: RemoteDeviceListService(
                        store: store, client: client, identity: identity,
                        notifications: ChangeNotifications(store: store, notifier: SyncNotifier()),
                        logger: Logger(label: "test")))
                return await directory.claimRemote(
                    [
                        ClaimTarget(userID: bob, deviceID: "GOOD", algorithm: "signed_curve25519"),
                        ClaimTarget(userID: bob, deviceID: "MANY", algorithm: "signed_curve25519"),
                        ClaimTarget(userID: bob, deviceID: "BROKEN", algorithm: "signed_curve25519"),
                    ], timeout: .seconds(10))
            }
            #expect(failures.isEmpty, "\(failures)")
            #expect(keys == [bob: ["GOOD": ["signed_curve25519:G": Self.signed(bob, "GOOD")]]], "\(keys)")
        }
    }
}
