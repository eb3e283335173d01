import Foundation
import Hummingbird
import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import Testing

/// Two Keyports change a room's state at the same moment, each before seeing the other's change:
/// state resolution must bring both to the same state.
@Suite struct FederatedConflictTests {
    @Test func aPowerLevelChangeAndAKickSentConcurrentlyConvergeOnBothServers() async throws {
        let serverA = try FederatingServer()
        let serverB = try FederatingServer()
        try await serverA.run { a in
            try await serverB.run { b in
                let alice = try await a.register("alice")
                let carol = try await a.register("carol")
                let bob = try await b.register("bob")
                let storeA = try SQLiteStore(path: serverA.databasePath)
                let storeB = try SQLiteStore(path: serverB.databasePath)
                var forked = false
                for attempt in 0..<5 where !forked {
                    var users: JSONObject = [:]
                    users[alice.userID] = 100
                    users[bob.userID] = 50
                    let roomID = try await a.createRoom(
                        alice,
                        [
                            "preset": "public_chat", "room_version": "11",
                            "power_level_content_override": ["users": .object(users)],
                        ])
                    let room = roomID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? roomID
                    #expect(try await a.client(.post, "/join/\(room)", token: carol.token, body: [:]).status == 200)
                    let joined = try await b.client(
                        .post, "/join/\(room)?via=\(serverA.serverName)", token: bob.token, body: [:])
                    try #require(joined.status == 200, "\(joined.body)")
                    try await eventually("both servers see the three members") {
                        let onA = try await storeA.joinedMembers(roomID: roomID)
                        let onB = try await storeB.joinedMembers(roomID: roomID)
                        return onA.count == 3 && onB.count == 3
                    }

                    // Alice takes bob's power away while bob kicks carol.
                    var demoted = users
                    demoted[bob.userID] = 0
                    async let powerChange = a.client(
                        .put, "/rooms/\(room)/state/m.room.power_levels", token: alice.token,
                        body: ["users": .object(demoted)])
                    async let kick = b.client(
                        .post, "/rooms/\(room)/kick", token: bob.token, body: ["user_id": .string(carol.userID)])
                    let (power, kicked) = try await (powerChange, kick)
                    try #require(power.status == 200, "\(power.body)")
                    try #require(kicked.status == 200, "\(kicked.body)")
                    let powerID = try #require(power["event_id"]?.stringValue)

                    try await eventually("both servers hold the same current state (attempt \(attempt))") {
                        let onA = try await storeA.currentState(roomID: roomID).map(\.eventID).sorted()
                        let onB = try await storeB.currentState(roomID: roomID).map(\.eventID).sorted()
                        return onA == onB && onA.contains(powerID)
                    }
                    // It was a real fork only if neither event was built on the other.
                    let kickEvent = try #require(
                        try await storeB.roomEvents(roomID: roomID, after: 0, upTo: .max, limit: 100).last {
                            $0.type == "m.room.member" && $0.stateKey == carol.userID && $0.sender == bob.userID
                        })
                    let powerEvent = try #require(try await storeA.events([powerID])[powerID])
                    forked =
                        !kickEvent.prevEvents.contains(powerID) && !powerEvent.prevEvents.contains(kickEvent.eventID)
                    if forked {
                        // Resolution puts the power change first: bob's kick is no longer allowed.
                        for store in [storeA, storeB] {
                            let member = try await store.stateEvent(
                                roomID: roomID, type: "m.room.member", stateKey: carol.userID)
                            #expect(member?.content["membership"] == "join")
                        }
                    }
                }
                #expect(forked, "no attempt made the two servers fork")
            }
        }
    }
}
