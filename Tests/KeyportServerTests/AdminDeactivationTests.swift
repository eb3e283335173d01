import Foundation
import Hummingbird
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Deactivation parts the user from their rooms, as Synapse's does: every joined room is left and
/// every pending invite rejected, through the same rule as `POST /rooms/{roomId}/leave`.
@Suite("Admin API: deactivation leaves rooms")
struct AdminDeactivationTests {
    @Test("Deactivation leaves every joined room, rejects every invite, and the others see it")
    func leavesRoomsAndRejectsInvites() async throws {
        let directory = TestServer.temporaryDirectory()
        try await TestServer.run(config: AdminAPITests.config(directory: directory)) { client in
            let admin = try await AdminAPITests.registerAdmin(client, "root")
            let bob = try await client.register("bob")
            let carol = try await client.register("carol")
            let dave = try await client.register("dave")
            let shared = try await client.createRoom(carol, ["preset": "public_chat"])
            try await client.join(bob, shared)
            let alone = try await client.createRoom(bob)
            let invited = try await client.createRoom(
                dave, ["preset": "private_chat", "invite": [.string(bob.userID)]])
            let since = try await client.position(carol)

            let reply = try await client.request(
                .post, "/_synapse/admin/v1/deactivate/\(bob.userID)", token: admin, body: ["erase": false])
            #expect(reply.status == 200, "\(reply.body)")

            // Every room bob was in or invited to now has his leave, sent as bob.
            let store = try SQLiteStore(path: "\(directory)/keyport.db")
            for room in [shared, alone, invited] {
                let member = try await store.stateEvent(roomID: room, type: "m.room.member", stateKey: bob.userID)
                #expect(member?.content["membership"] == "leave", "\(room)")
                #expect(member?.sender == bob.userID, "\(room)")
            }
            #expect(try await store.memberships(userID: bob.userID).allSatisfy { $0.membership == "leave" })
            #expect(try await client.joinedRooms(dave) == [invited])

            // carol sees the leave in the timeline, and bob in `left`: they share no room any more.
            let sync = try await client.syncRooms(carol, since: since)
            let timeline = sync["rooms"]?["join"]?[shared]?["timeline"]?["events"]?.arrayValue ?? []
            #expect(
                timeline.contains {
                    $0["type"] == "m.room.member" && $0["state_key"] == .string(bob.userID)
                        && $0["content"]?["membership"] == "leave"
                }, "\(sync.body)")
            #expect(sync["device_lists"]?["left"]?.arrayValue?.contains(.string(bob.userID)) == true, "\(sync.body)")
            #expect(sync["device_lists"]?["changed"]?.arrayValue?.contains(.string(bob.userID)) != true)
            let members = try await client.client(.get, "/rooms/\(shared)/joined_members", token: carol.token)
            #expect(members["joined"]?.objectValue?.keys.sorted() == [carol.userID])

            // Deactivating again finds nothing left to part and still answers as Synapse does.
            let again = try await client.request(
                .post, "/_synapse/admin/v1/deactivate/\(bob.userID)", token: admin, body: ["erase": false])
            #expect(again.status == 200 && again["id_server_unbind_result"] == "success")
        }
    }
}
