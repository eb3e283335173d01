import Foundation
import Hummingbird
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Two Keyports: a user of one joins a room of the other through make_join / send_join.
@Suite struct FederatedJoinTests {
    @Test(arguments: ["10", "11", "12"])
    func aUserJoinsARoomOnAnotherServer(version: String) async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let bob = try await b.register("bob")
                let roomID = try await a.createRoom(
                    alice, ["preset": "public_chat", "room_version": .string(version), "name": "Far away"])
                let encodedRoom = roomID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? roomID
                let joined = try await b.client(
                    .post, "/join/\(encodedRoom)?server_name=\(serverA.serverName)", token: bob.token, body: [:])
                #expect(joined.status == 200, "\(joined.body)")
                #expect(joined["room_id"] == .string(roomID))

                // Bob's server has the room: its state, and his join in the timeline.
                let state = try await b.client(.get, "/rooms/\(encodedRoom)/state", token: bob.token)
                #expect(state.status == 200, "\(state.body)")
                let types = Set(state.body.arrayValue?.compactMap { $0["type"]?.stringValue } ?? [])
                #expect(types.isSuperset(of: ["m.room.create", "m.room.power_levels", "m.room.name"]))
                let members = try await b.client(.get, "/rooms/\(encodedRoom)/members", token: bob.token)
                let joinedMembers = Set(
                    members["chunk"]?.arrayValue?.filter { $0["content"]?["membership"] == "join" }
                        .compactMap { $0["state_key"]?.stringValue } ?? [])
                #expect(joinedMembers == [alice.userID, bob.userID])

                // Alice's server took the join in as well.
                let storeA = try SQLiteStore(path: serverA.databasePath)
                #expect(try await storeA.joinedMembers(roomID: roomID) == [alice.userID, bob.userID].sorted())
                let storeB = try SQLiteStore(path: serverB.databasePath)
                #expect(try await storeB.roomVersion(roomID: roomID) == version)
                let stateA = try await storeA.currentState(roomID: roomID).map(\.eventID).sorted()
                let stateB = try await storeB.currentState(roomID: roomID).map(\.eventID).sorted()
                #expect(stateA == stateB, "both servers hold the same current state")
            }
        }
    }

    @Test func aJoinTheRoomDoesNotAllowIsRefused() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let bob = try await b.register("bob")
                let roomID = try await a.createRoom(alice, ["preset": "private_chat"])
                let encodedRoom = roomID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? roomID
                let joined = try await b.client(
                    .post, "/join/\(encodedRoom)?via=\(serverA.serverName)", token: bob.token, body: [:])
                #expect(joined.status == 403, "\(joined.body)")
                #expect(joined["errcode"] == "M_FORBIDDEN")
                let storeA = try SQLiteStore(path: serverA.databasePath)
                #expect(try await storeA.joinedMembers(roomID: roomID) == [alice.userID])
            }
        }
    }

    @Test func anInviteCrossesServersAndTheInviteeJoinsThroughTheInviter() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let bob = try await b.register("bob")
                let roomID = try await a.createRoom(alice, ["preset": "private_chat", "name": "Invite only"])
                let encodedRoom = roomID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? roomID
                let invited = try await a.client(
                    .post, "/rooms/\(encodedRoom)/invite", token: alice.token, body: ["user_id": .string(bob.userID)])
                #expect(invited.status == 200, "\(invited.body)")

                // Bob's /sync shows the invite with the room's name and create event.
                let sync = try await b.syncRooms(bob)
                let inviteState = sync["rooms"]?["invite"]?[roomID]?["invite_state"]?["events"]?.arrayValue ?? []
                let types = Set(inviteState.compactMap { $0["type"]?.stringValue })
                #expect(types.isSuperset(of: ["m.room.create", "m.room.name", "m.room.member"]), "\(sync.body)")

                // The invite in Alice's room carries Bob's server's signature.
                let storeA = try SQLiteStore(path: serverA.databasePath)
                let invite = try #require(
                    try await storeA.stateEvent(roomID: roomID, type: "m.room.member", stateKey: bob.userID))
                #expect(invite.content["membership"] == "invite")
                #expect(invite.pdu["signatures"]?[serverB.serverName] != nil)

                // Bob joins with no server named: the inviter's server is used.
                let joined = try await b.client(.post, "/join/\(encodedRoom)", token: bob.token, body: [:])
                #expect(joined.status == 200, "\(joined.body)")
                #expect(try await storeA.joinedMembers(roomID: roomID) == [alice.userID, bob.userID].sorted())
                #expect(try await b.joinedRooms(bob) == [roomID])
            }
        }
    }

    @Test func aRejectedInviteReachesTheInvitersServerThroughMakeAndSendLeave() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let bob = try await b.register("bob")
                let roomID = try await a.createRoom(alice, ["preset": "private_chat"])
                let encodedRoom = roomID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? roomID
                let invited = try await a.client(
                    .post, "/rooms/\(encodedRoom)/invite", token: alice.token, body: ["user_id": .string(bob.userID)])
                #expect(invited.status == 200, "\(invited.body)")
                let rejected = try await b.client(.post, "/rooms/\(encodedRoom)/leave", token: bob.token, body: [:])
                #expect(rejected.status == 200, "\(rejected.body)")
                let storeA = try SQLiteStore(path: serverA.databasePath)
                let member = try await storeA.stateEvent(roomID: roomID, type: "m.room.member", stateKey: bob.userID)
                #expect(member?.content["membership"] == "leave")
                #expect(member?.sender == bob.userID)
                let storeB = try SQLiteStore(path: serverB.databasePath)
                #expect(try await storeB.memberships(userID: bob.userID).map(\.membership) == ["leave"])
            }
        }
    }

    @Test func aRemoteUsersCachedListIsForgottenWhenNoRoomIsSharedAnyMore() async throws {
        let server = try FederatingServer()
        try await server.run { a in
            let alice = try await a.register("alice")
            let bob = "@bob:elsewhere.test"
            let store = try SQLiteStore(path: server.databasePath)
            try await FederationDeviceListTests.shareRoom(server.databasePath, [alice.userID, bob])
            _ = try await store.setMembership(roomID: "!other:test", userID: bob, membership: "join")
            try await store.replaceRemoteDeviceList(
                RemoteDeviceList(
                    userID: bob, streamID: 3, stale: false, devices: [], masterKey: nil, selfSigningKey: nil))
            // Leaving a room alice is not in keeps the list; leaving the last shared one drops it.
            _ = try await store.setMembership(roomID: "!other:test", userID: bob, membership: "leave")
            _ = try await a.register("carol")  // a later change, so the fan-out has run past the leave
            try await Task.sleep(for: .seconds(1))
            #expect(try await store.remoteDeviceList(userID: bob) != nil)
            _ = try await store.setMembership(roomID: "!shared:test", userID: bob, membership: "leave")
            try await eventually("bob's list is forgotten") {
                _ = try await a.client(.get, "/account/whoami", token: alice.token)
                return try await store.remoteDeviceList(userID: bob) == nil
            }
        }
    }

    /// The timeline of a room as one user sees it, by body.
    static func bodies(_ server: MatrixClient, _ user: TestUser, _ roomID: String) async throws -> [String] {
        let encoded = roomID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? roomID
        let page = try await server.messages(user, encoded, query: "dir=f&limit=100")
        return page["chunk"]?.arrayValue?.compactMap { $0["content"]?["body"]?.stringValue } ?? []
    }

    @Test func messagesAndMembershipFlowBothWaysAfterAJoin() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let bob = try await b.register("bob")
                let since = try await a.position(alice)
                let roomID = try await a.createRoom(alice, ["preset": "private_chat", "invite": [.string(bob.userID)]])
                let encodedRoom = roomID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? roomID
                let joined = try await b.client(.post, "/join/\(encodedRoom)", token: bob.token, body: [:])
                #expect(joined.status == 200, "\(joined.body)")

                // Each message is sent once the one before it reached both servers, so both orders agree.
                var expected: [String] = []
                for (n, (server, user)) in [(a, alice), (b, bob), (a, alice)].enumerated() {
                    let sent = try await server.client(
                        .put, "/rooms/\(encodedRoom)/send/m.room.message/t\(n)", token: user.token,
                        body: ["msgtype": "m.text", "body": .string("message \(n)")])
                    #expect(sent.status == 200, "\(sent.body)")
                    expected.append("message \(n)")
                    let now = expected
                    try await eventually("both servers have messages up to \(n), in order") {
                        let onA = try await Self.bodies(a, alice, roomID)
                        let onB = try await Self.bodies(b, bob, roomID)
                        return onA == now && onB == now
                    }
                }
                // Alice's client hears of bob's devices through the room now shared.
                let sync = try await a.sync(alice, since: since)
                let changed = sync["device_lists"]?["changed"]?.arrayValue?.compactMap(\.stringValue) ?? []
                #expect(changed.contains(bob.userID), "\(sync.body)")

                // Bob leaves: alice's server takes the leave in.
                let left = try await b.client(.post, "/rooms/\(encodedRoom)/leave", token: bob.token, body: [:])
                #expect(left.status == 200, "\(left.body)")
                let storeA = try SQLiteStore(path: serverA.databasePath)
                try await eventually("alice's server sees bob leave") {
                    try await storeA.joinedMembers(roomID: roomID) == [alice.userID]
                }
            }
        }
    }
}
