import KeyportClient
import MatrixModel
import Testing

/// Room keys and room events arrive once, whatever the server repeats and however often the
/// process restarts: events by ID, to-device messages by digest, keys by session.
@Suite struct SyncDedupTests {
    @Test func roomKeyAndMessageCountOnceAcrossRepeatsAndRestarts() async throws {
        let alice = try await TestDevice("@alice:test", "ALICE1")
        let bob = try await TestDevice("@bob:test", "BOB1")
        try await alice.startSession(to: bob)
        try await bob.learn(alice)
        let room = try await TestRoom("!room:test", sender: alice)
        let keyEvent = try await alice.toDevice(type: "m.room_key", content: room.roomKey, for: try await bob.info())
        let message = try await room.message("hello", eventID: "$one")
        let response = TestDevice.syncResponse(
            batch: "s1", toDevice: [keyEvent], roomID: room.roomID, timeline: [message])

        let first = try await bob.apply(response)
        #expect(first.toDeviceReports.count == 1)
        #expect(first.toDeviceReports.first?["accepted"] == true)
        #expect(first.newEvents.count == 1)
        #expect(first.newEvents.first?.isDecrypted == true)
        #expect(first.newEvents.first?.outputJSON["content"]?["body"] == "hello")

        // The same answer again (a repeated `since`): nothing new, no error.
        let again = try await bob.apply(response)
        #expect(again.newEvents.isEmpty)
        #expect(again.toDeviceReports.isEmpty)

        // And after a restart.
        let restarted = try bob.reopened()
        let afterRestart = try await restarted.apply(response)
        #expect(afterRestart.newEvents.isEmpty)
        #expect(afterRestart.toDeviceReports.isEmpty)
        let timeline = try await restarted.store.read { try $0.timeline(roomID: "!room:test") }
        #expect(timeline.count == 1)
        #expect(timeline.first?.isDecrypted == true)
        #expect(try await restarted.store.read { try $0.meta("since") } == "s1")
    }

    @Test func replayedMegolmIndexUnderAnotherEventIDIsRefused() async throws {
        let alice = try await TestDevice("@alice:test", "ALICE1")
        let bob = try await TestDevice("@bob:test", "BOB1")
        try await alice.startSession(to: bob)
        try await bob.learn(alice)
        let room = try await TestRoom("!room:test", sender: alice)
        let keyEvent = try await alice.toDevice(type: "m.room_key", content: room.roomKey, for: try await bob.info())
        let message = try await room.message("pay 10", eventID: "$original")
        _ = try await bob.apply(
            TestDevice.syncResponse(batch: "s1", toDevice: [keyEvent], roomID: room.roomID, timeline: [message]))

        var replayed = message.objectValue!
        replayed["event_id"] = "$replay"
        let summary = try await bob.apply(
            TestDevice.syncResponse(batch: "s2", roomID: room.roomID, timeline: [.object(replayed)]))
        #expect(summary.newEvents.count == 1)
        #expect(summary.newEvents.first?.isDecrypted == false)
        #expect(summary.newEvents.first?.error?.contains("replay") == true)
    }

    @Test func aKeyThatArrivesLaterDecryptsEarlierEvents() async throws {
        let alice = try await TestDevice("@alice:test", "ALICE1")
        let bob = try await TestDevice("@bob:test", "BOB1")
        try await alice.startSession(to: bob)
        try await bob.learn(alice)
        let room = try await TestRoom("!room:test", sender: alice)
        let message = try await room.message("early", eventID: "$early")
        let before = try await bob.apply(TestDevice.syncResponse(batch: "s1", roomID: room.roomID, timeline: [message]))
        #expect(before.newEvents.first?.isDecrypted == false)

        let keyEvent = try await alice.toDevice(type: "m.room_key", content: room.roomKey, for: try await bob.info())
        let after = try await bob.apply(TestDevice.syncResponse(batch: "s2", toDevice: [keyEvent]))
        #expect(after.lateDecryptions.map(\.eventID) == ["$early"])
    }
}
