import Foundation
import Hummingbird
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// An invite from another server to a room this server is already in.
@Suite struct ResidentInviteTests {
    /// bob (server B) is in alice's room on A; alice invites carol, also of B, who joins at once.
    /// B takes the invite into the room's graph when the invite arrives, so carol's join builds on
    /// it and A, checking the join against the state before it, finds carol invited. Were the
    /// invite kept as an outlier until A sent it again, the join would name it in no ancestor and
    /// A would refuse it as "not invited" (what the federated-rooms harness saw against Synapse).
    @Test func anInviteToARoomTheServerIsInJoinsTheGraphAtOnce() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let bob = try await b.register("bob")
                let carol = try await b.register("carol")
                let roomID = try await a.createRoom(alice, ["preset": "private_chat"])
                try await a.invite(alice, roomID, bob)
                try await b.join(bob, roomID)
                try await a.invite(alice, roomID, carol)
                let storeB = try SQLiteStore(path: serverB.databasePath)
                let invite = try #require(
                    try await storeB.stateEvent(roomID: roomID, type: "m.room.member", stateKey: carol.userID))
                #expect(invite.content["membership"] == "invite")
                let stored = try #require(try await storeB.events([invite.eventID])[invite.eventID])
                #expect(!stored.outlier, "the invite is an event of the room's graph on B, not an outlier")
                #expect(try await storeB.forwardExtremities(roomID: roomID).contains(invite.eventID))

                try await b.join(carol, roomID)
                let storeA = try SQLiteStore(path: serverA.databasePath)
                try await eventually("A takes carol's join in") {
                    try await storeA.joinedMembers(roomID: roomID).contains(carol.userID)
                }
            }
        }
    }
}
