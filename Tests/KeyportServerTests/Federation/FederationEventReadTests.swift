import KeyportStore
import KeyportStoreSQLite
import MatrixModel
import MatrixRooms
import Testing

/// `/event`, `/state_ids`, `/state` and `/event_auth` as another server in the room reads them:
/// PDUs exactly as stored, the state *before* the event, auth chains without the event.
@Suite(.serialized)
struct FederationEventReadTests {
    @Test func eventIsServedAsStored() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom()
            let join = try await f.bobSets("join", in: roomID)
            let message = try await f.a.sendText(f.alice, roomID, "hello")
            let topic = try await f.aliceSets("m.room.topic", ["topic": "t"], in: roomID)

            for eventID in [message, topic, join.eventID] {
                let answer = try await f.ask("/event/\(queryEncoded(eventID))")
                try #require(answer.status == 200, "\(answer.body)")
                #expect(answer.body["origin"]?.stringValue == f.serverA.serverName)
                #expect(answer.body["origin_server_ts"]?.intValue != nil)
                #expect(answer.body["pdus"]?.arrayValue?.count == 1)
                try await f.expectServedAsStored(answer.body["pdus"]?.arrayValue?.first, eventID)
            }

            // An outlier is served; a rejected event is not (carol of B never joined).
            let state = try await f.currentStateIDs(roomID)
            let tips = try await f.store.forwardExtremities(roomID: roomID).sorted()
            let outlier = try await f.writerB.build(
                roomID: roomID, type: "m.room.message", sender: f.bob, content: ["body": "aside"], prevEvents: tips,
                state: state)
            try await f.writerB.storeDetached(outlier, outlier: true)
            let servedOutlier = try await f.ask("/event/\(queryEncoded(outlier.eventID))")
            #expect(servedOutlier.status == 200)
            try await f.expectServedAsStored(servedOutlier.body["pdus"]?.arrayValue?.first, outlier.eventID)

            let rejected = try await f.writerB.build(
                roomID: roomID, type: "m.room.message", sender: "@carol:\(f.serverB.serverName)",
                content: ["body": "not a member"], prevEvents: tips, state: state)
            try await f.writerB.storeDetached(rejected, rejectedReason: "not joined")
            let servedRejected = try await f.ask("/event/\(queryEncoded(rejected.eventID))")
            #expect(servedRejected.status == 404)
            #expect(servedRejected.body["errcode"] == "M_NOT_FOUND")

            let unknown = try await f.ask("/event/\(queryEncoded("$unknown"))")
            #expect(unknown.status == 404)
            #expect(unknown.body["errcode"] == "M_NOT_FOUND")
            let malformed = try await f.ask("/event/unknown")
            #expect(malformed.status == 400)
            #expect(malformed.body["errcode"] == "M_INVALID_PARAM")
        }
    }

    @Test func stateIsTheStateBeforeTheEvent() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom()
            let join = try await f.bobSets("join", in: roomID)
            let topic1 = try await f.aliceSets("m.room.topic", ["topic": "one"], in: roomID)
            let message = try await f.a.sendText(f.alice, roomID, "between")
            let topic2 = try await f.aliceSets("m.room.topic", ["topic": "two"], in: roomID)
            let create = try #require(try await f.currentStateIDs(roomID)[RoomStateKey("m.room.create", "")])

            // Before a state event: the state after its prev event, so the topic it replaced.
            let atTopic2 = try await stateIDs(f, roomID, topic2)
            #expect(atTopic2.pdus == (try await f.stateAfter(message)))
            #expect(atTopic2.pdus.contains(topic1) && !atTopic2.pdus.contains(topic2))
            // Before a message: the state after it, which it does not change.
            #expect(try await stateIDs(f, roomID, message).pdus == (try await f.stateAfter(message)))
            // Before the first topic: no topic; before bob's join: no bob.
            let atTopic1 = try await stateIDs(f, roomID, topic1)
            #expect(atTopic1.pdus == (try await f.stateAfter(join.eventID)))
            #expect(!atTopic1.pdus.contains(topic1))
            let atJoin = try await stateIDs(f, roomID, join.eventID)
            #expect(!atJoin.pdus.contains(join.eventID))
            #expect(try await f.stateAfter(join.eventID).subtracting(atJoin.pdus) == [join.eventID])
            // Before the create event: nothing.
            let atCreate = try await stateIDs(f, roomID, create)
            #expect(atCreate.pdus.isEmpty && atCreate.authChain.isEmpty)

            for state in [atTopic2, atTopic1, atJoin] {
                #expect(state.authChain == (try await f.authChain(below: Array(state.pdus))))
                #expect(!state.authChain.isEmpty)
            }

            // `/state` serves the same events, each exactly as stored.
            let full = try await f.ask("/state/\(queryEncoded(roomID))?event_id=\(queryEncoded(topic2))")
            try #require(full.status == 200, "\(full.body)")
            #expect(Set(try f.ids(full.body["pdus"])) == atTopic2.pdus)
            #expect(Set(try f.ids(full.body["auth_chain"])) == atTopic2.authChain)
            for pdu in (full.body["pdus"]?.arrayValue ?? []) + (full.body["auth_chain"]?.arrayValue ?? []) {
                try await f.expectServedAsStored(pdu, try f.ids(.array([pdu]))[0])
            }

            let missing = try await f.ask("/state_ids/\(queryEncoded(roomID))")
            #expect(missing.status == 400)
            #expect(missing.body["errcode"] == "M_MISSING_PARAM")
        }
    }

    /// Before a merge event the key it sets has the value the resolution of its prev events'
    /// states gives; a key every prev state agrees on keeps that value.
    @Test func stateBeforeAMergeResolvesItsPrevStates() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom()
            try await f.bobSets("join", in: roomID)
            let fork = try await f.a.sendText(f.alice, roomID, "fork")
            let topic = try await f.writerA.append(
                roomID: roomID, type: "m.room.topic", stateKey: "", sender: f.alice.userID, content: ["topic": "t"],
                prevEvents: [fork])
            let name = try await f.writerA.append(
                roomID: roomID, type: "m.room.name", stateKey: "", sender: f.alice.userID, content: ["name": "n"],
                prevEvents: [fork])
            var merged = try #require(try await f.store.stateAfter(eventID: topic.eventID))
            merged[RoomStateKey("m.room.name", "")] = name.eventID
            let joinRules = try #require(merged[RoomStateKey("m.room.join_rules", "")])

            // The prev states differ on the name (none vs "n"): resolved, "n" it is.
            let rename = try await f.writerA.append(
                roomID: roomID, type: "m.room.name", stateKey: "", sender: f.alice.userID,
                content: ["name": "renamed"], prevEvents: [topic.eventID, name.eventID], stateBefore: merged)
            let atRename = try await stateIDs(f, roomID, rename.eventID)
            #expect(atRename.pdus == Set(merged.values))
            #expect(atRename.pdus.contains(name.eventID) && !atRename.pdus.contains(rename.eventID))

            // Both prev states name the same join rules.
            let rules = try await f.writerA.append(
                roomID: roomID, type: "m.room.join_rules", stateKey: "", sender: f.alice.userID,
                content: ["join_rule": "public"], prevEvents: [topic.eventID, name.eventID], stateBefore: merged)
            let atRules = try await stateIDs(f, roomID, rules.eventID)
            #expect(atRules.pdus == Set(merged.values))
            #expect(atRules.pdus.contains(joinRules) && !atRules.pdus.contains(rules.eventID))
        }
    }

    @Test func eventAuthIsTheAuthChainWithoutTheEvent() async throws {
        try await RoomReadFixture.run { f in
            let roomID = try await f.publicRoom()
            let join = try await f.bobSets("join", in: roomID)
            let message = try await f.a.sendText(f.alice, roomID, "hello")

            for eventID in [message, join.eventID] {
                let answer = try await f.ask("/event_auth/\(queryEncoded(roomID))/\(queryEncoded(eventID))")
                try #require(answer.status == 200, "\(answer.body)")
                let chain = try f.ids(answer.body["auth_chain"])
                #expect(Set(chain) == (try await f.authChain(below: [eventID])))
                #expect(chain.count == Set(chain).count && !chain.contains(eventID))
                for pdu in answer.body["auth_chain"]?.arrayValue ?? [] {
                    try await f.expectServedAsStored(pdu, try f.ids(.array([pdu]))[0])
                }
            }
            // bob's join is authorised by the create event, the power levels, the join rules.
            let joinChain = try f.ids(
                try await f.ask("/event_auth/\(queryEncoded(roomID))/\(queryEncoded(join.eventID))").body["auth_chain"])
            let state = try await f.currentStateIDs(roomID)
            for key in [
                RoomStateKey("m.room.create", ""), RoomStateKey("m.room.power_levels", ""),
                RoomStateKey("m.room.join_rules", ""),
            ] {
                #expect(joinChain.contains(try #require(state[key])))
            }

            // The create event rests on nothing; v12 lists it in no auth_events, yet every other
            // event rests on it.
            let create = try #require(state[RoomStateKey("m.room.create", "")])
            #expect(!(try await f.stored(join.eventID).authEvents.contains(create)))
            let atCreate = try await f.ask("/event_auth/\(queryEncoded(roomID))/\(queryEncoded(create))")
            #expect(atCreate.status == 200)
            #expect(atCreate.body["auth_chain"] == .array([]))

            // An event of another room than the path's is not found there.
            let other = try await f.publicRoom()
            try await f.bobSets("join", in: other)
            let elsewhere = try await f.a.sendText(f.alice, other, "elsewhere")
            let wrongRoom = try await f.ask("/event_auth/\(queryEncoded(roomID))/\(queryEncoded(elsewhere))")
            #expect(wrongRoom.status == 404)
            #expect(wrongRoom.body["errcode"] == "M_NOT_FOUND")
            let wrongState = try await f.ask("/state_ids/\(queryEncoded(roomID))?event_id=\(queryEncoded(elsewhere))")
            #expect(wrongState.status == 404)
        }
    }

    /// `/state_ids` at an event, as sets.
    private func stateIDs(_ f: RoomReadFixture, _ roomID: String, _ eventID: String) async throws
        -> (pdus: Set<String>, authChain: Set<String>)
    {
        let answer = try await f.ask("/state_ids/\(queryEncoded(roomID))?event_id=\(queryEncoded(eventID))")
        try #require(answer.status == 200, "state_ids at \(eventID): \(answer.body)")
        let pdus = answer.body["pdu_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let chain = answer.body["auth_chain_ids"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(pdus.count == Set(pdus).count && chain.count == Set(chain).count, "no ID twice")
        return (Set(pdus), Set(chain))
    }
}
