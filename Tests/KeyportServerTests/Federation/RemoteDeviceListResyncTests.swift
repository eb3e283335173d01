import KeyportServices
import KeyportStore
import KeyportStoreSQLite
import Logging
import MatrixModel
import MatrixSigning
import Synchronization
import Testing

@testable import KeyportFederation

/// A remote list fetched again (`GET /user/devices`) while its server keeps sending updates.
@Suite struct RemoteDeviceListResyncTests {
    /// The peer's `/user/devices` answers: the first is held until the test lets it go, and lists
    /// the one device the user had when it was read; later ones list both devices.
    final class Peer: Sendable {
        let requests = Mutex(0)
        let release = AsyncStream<Void>.makeStream()

        func answer(_ request: FakePeer.Request, userID: String) async -> (status: Int, body: JSONValue) {
            guard request.path.hasPrefix("/_matrix/federation/v1/user/devices/") else { return (404, [:]) }
            let number = requests.withLock { count in
                count += 1
                return count
            }
            if number == 1 {
                for await _ in release.stream { break }
                return (200, ["user_id": .string(userID), "stream_id": 1, "devices": [["device_id": "OLD"]]])
            }
            return (
                200,
                [
                    "user_id": .string(userID), "stream_id": 3,
                    "devices": [["device_id": "OLD"], ["device_id": "NEW"]],
                ]
            )
        }
    }

    /// An update that arrives while the list is being fetched may be newer than what the fetch
    /// read; the fetch's answer must not end the list's staleness alone. Before the fix, the
    /// update was dropped (a fetch was already running) and the older answer was kept as current:
    /// the user's new device stayed unknown until its next change.
    @Test func anUpdateDuringAFetchIsFollowedByAnotherFetch() async throws {
        let peer = Peer()
        let server = Mutex<String?>(nil)
        let handler: FakePeer.Handler = { request in
            await peer.answer(request, userID: "@bob:\(server.withLock { $0 ?? "" })")
        }
        try await FakePeer.run(handler) { name in
            server.withLock { $0 = name }
            let store = try SQLiteStore(path: TestServer.temporaryDirectory() + "/resync.db")
            let identity = ServerIdentity(serverName: ServerName("origin.test")!, signingKey: SigningKey.generate())
            let bob = "@bob:\(name)"
            _ = try await store.setMembership(
                roomID: "!r:origin.test", userID: "@alice:origin.test", membership: "join")
            _ = try await store.setMembership(roomID: "!r:origin.test", userID: bob, membership: "join")
            try await FakePeer.withClient(identity) { client in
                let lists = RemoteDeviceListService(
                    store: store, client: client, identity: identity,
                    notifications: ChangeNotifications(store: store, notifier: SyncNotifier()),
                    logger: Logger(label: "test"))
                // An update with an unknown prev_id: the list is stale and its fetch starts (held).
                try await lists.receive(
                    RemoteDeviceUpdate(
                        userID: bob, deviceID: "OLD", streamID: 2, prevIDs: [1], deleted: false, displayName: nil,
                        keys: nil))
                try await eventually("the first fetch reaches the peer") { peer.requests.withLock { $0 } == 1 }
                // bob adds a device while that fetch is out; its update finds the list stale.
                try await lists.receive(
                    RemoteDeviceUpdate(
                        userID: bob, deviceID: "NEW", streamID: 3, prevIDs: [2], deleted: false, displayName: nil,
                        keys: nil))
                peer.release.continuation.yield()
                try await eventually("the list ends with both devices and is current") {
                    guard let list = try await store.remoteDeviceList(userID: bob) else { return false }
                    return !list.stale && Set(list.devices.map(\.deviceID)) == ["OLD", "NEW"]
                }
                #expect(peer.requests.withLock { $0 } == 2, "one more fetch after the held one, and no more")
            }
        }
    }
}
