import Foundation
import Hummingbird
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Deactivation across two Keyports: the deactivated user's leave reaches the other server's room,
/// and the device-list changes reach the servers that shared a room when they happened, even
/// though the leaves that follow end the sharing.
@Suite(.serialized)
struct FederatedDeactivationTests {
    @Test func deactivationOnOneServerIsALeaveAndADeviceListChangeOnTheOther() async throws {
        let serverA = try FederatingServer()
        var adminServer = try FederatingServer()
        adminServer.registrationSharedSecret = AdminAPITests.secret
        let serverB = adminServer
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let (bob, _, _) = try await FederationKeysTests.userWithKeys(b, "bob")
                let admin = try await AdminAPITests.registerAdmin(b, "root")
                let roomID = try await a.createRoom(alice, ["preset": "public_chat"])
                let encodedRoom = roomID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? roomID
                let joined = try await b.client(
                    .post, "/join/\(encodedRoom)?server_name=\(serverA.serverName)", token: bob.token, body: [:])
                try #require(joined.status == 200, "\(joined.body)")
                let query: JSONValue = ["device_keys": .object([bob.userID: []])]
                try await eventually("alice's server lists bob's device") {
                    let reply = try await a.client(.post, "/keys/query", token: alice.token, body: query)
                    return reply["device_keys"]?[bob.userID]?[bob.deviceID] != nil
                }
                var since = try await a.position(alice)

                let reply = try await b.request(
                    .post, "/_synapse/admin/v1/deactivate/\(bob.userID)", token: admin, body: ["erase": false])
                #expect(reply.status == 200, "\(reply.body)")

                // Alice's server has bob's leave, and alice's syncs put bob in `left`.
                let storeA = try SQLiteStore(path: serverA.databasePath)
                try await eventually("bob's leave reaches alice's server") {
                    try await storeA.joinedMembers(roomID: roomID) == [alice.userID]
                }
                let member = try await storeA.stateEvent(roomID: roomID, type: "m.room.member", stateKey: bob.userID)
                #expect(member?.content["membership"] == "leave" && member?.sender == bob.userID)
                var left: Set<String> = []
                let deadline = ContinuousClock.now + .seconds(20)
                while !left.contains(bob.userID), ContinuousClock.now < deadline {
                    let sync = try await a.sync(alice, since: since, timeout: 500)
                    since = sync["next_batch"]?.stringValue ?? since
                    left.formUnion(sync["device_lists"]?["left"]?.arrayValue?.compactMap(\.stringValue) ?? [])
                }
                #expect(left.contains(bob.userID), "alice's syncs put bob in device_lists.left")
                // Alice's /keys/query lists no device of bob's any more.
                try await eventually("alice's server lists no device of bob's") {
                    let reply = try await a.client(.post, "/keys/query", token: alice.token, body: query)
                    return reply.status == 200 && (reply["device_keys"]?[bob.userID]?.objectValue ?? [:]).isEmpty
                }
            }
        }
    }

    /// The fan-out runs after the changes it sends, sometimes long after (here: the server was
    /// down). A device deleted while its owner shared a room with another server, followed by a
    /// leave of that room, still reaches that server: the servers are those sharing a room at the
    /// change, which is what deactivation (devices first, then leaves) relies on.
    @Test func aDeviceChangeReachesTheServersThatSharedARoomAtTheChange() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverB.run { b in
            let bob = try await b.register("bob")
            let aliceID = "@alice:\(serverA.serverName)"
            try await serverA.run { a in
                let (alice, _, _) = try await FederationKeysTests.userWithKeys(a, "alice")
                #expect(alice.userID == aliceID)
                let laptop = try await a.login(alice, deviceID: "LAPTOP")
                _ = try await a.client(
                    .post, "/keys/upload", token: laptop.token,
                    body: ["device_keys": DeviceKeyFactory(laptop).deviceKeys()])
                try await FederationDeviceListTests.shareRoom(serverA.databasePath, [alice.userID, bob.userID])
                try await FederationDeviceListTests.shareRoom(serverB.databasePath, [alice.userID, bob.userID])
                let reply = try await b.client(
                    .post, "/keys/query", token: bob.token, body: ["device_keys": .object([alice.userID: []])])
                #expect(reply["device_keys"]?[alice.userID]?["LAPTOP"] != nil, "\(reply.body)")
                // Everything alice's server had to send is sent: a leftover EDU would make bob's
                // server resync alice's list after the restart and hide what is tested.
                let storeA = try SQLiteStore(path: serverA.databasePath)
                try await eventually("alice's server has fanned out and sent everything") {
                    let fannedOut = try await storeA.deviceListFanOutPosition()
                    let head = try await storeA.currentDeviceListPosition()
                    let queued = try await storeA.destinationsWithQueuedEDUs()
                    return fannedOut == head && queued.isEmpty
                }
            }
            // While alice's server is down, LAPTOP is deleted and then alice leaves the shared room.
            let storeA = try SQLiteStore(path: serverA.databasePath)
            #expect(try await storeA.deleteDevices(userID: aliceID, deviceIDs: ["LAPTOP"]) == ["LAPTOP"])
            _ = try await storeA.setMembership(roomID: "!shared:test", userID: aliceID, membership: "leave")
            try await serverA.run { _ in
                // bob's server's cache of alice's list, not its /keys/query, which could ask again.
                let storeB = try SQLiteStore(path: serverB.databasePath)
                try await eventually(timeout: .seconds(45), "bob's server drops the device deleted before alice left") {
                    guard let list = try await storeB.remoteDeviceList(userID: aliceID), !list.stale else {
                        return false
                    }
                    return !list.devices.map(\.deviceID).contains("LAPTOP")
                }
            }
        }
    }
}
