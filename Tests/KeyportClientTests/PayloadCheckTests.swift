import KeyportClient
import MatrixModel
import Testing

/// The Olm payload binds a to-device message to its sender and recipient identities.
@Suite struct PayloadCheckTests {
    let sender = DeviceInfo(userID: "@alice:test", deviceID: "ALICE1", curve25519: "curveA", ed25519: "edA")

    func payload(
        sender: String = "@alice:test", recipient: String = "@bob:test", recipientKey: String = "edB",
        senderKey: String = "edA", senderDevice: String = "ALICE1"
    ) -> JSONObject {
        OlmPayload.make(
            type: "m.room_key", content: ["k": "v"], sender: sender, senderDevice: senderDevice,
            senderEd25519: senderKey, recipient: recipient, recipientEd25519: recipientKey)
    }

    func check(_ payload: JSONObject, eventSender: String = "@alice:test", known: DeviceInfo?) throws(OlmPayload
        .Refusal) -> OlmPayload.Checked
    {
        try OlmPayload.check(
            payload, eventSender: eventSender, ownUserID: "@bob:test", ownEd25519: "edB", senderDevice: known)
    }

    @Test func aCorrectPayloadPasses() throws {
        let checked = try check(payload(), known: sender)
        #expect(checked.type == "m.room_key")
        #expect(checked.senderEd25519 == "edA")
        #expect(checked.senderDevice == "ALICE1")
        // An unknown sending device: the claim is kept, to be checked once the device is known.
        #expect(try check(payload(), known: nil).senderEd25519 == "edA")
    }

    @Test func mismatchesAreRefused() {
        #expect(throws: OlmPayload.Refusal.senderMismatch(claimed: "@mallory:test", actual: "@alice:test")) {
            try check(payload(sender: "@mallory:test"), known: sender)
        }
        #expect(throws: OlmPayload.Refusal.recipientMismatch("@carol:test")) {
            try check(payload(recipient: "@carol:test"), known: sender)
        }
        #expect(throws: OlmPayload.Refusal.recipientKeyMismatch) {
            try check(payload(recipientKey: "edOther"), known: sender)
        }
        #expect(throws: OlmPayload.Refusal.senderKeyMismatch) {
            try check(payload(senderKey: "edForged"), known: sender)
        }
        #expect(throws: OlmPayload.Refusal.senderDeviceMismatch) {
            try check(payload(senderDevice: "OTHER"), known: sender)
        }
        var missing = payload()
        missing["recipient_keys"] = nil
        #expect(throws: OlmPayload.Refusal.missingField("recipient_keys.ed25519")) {
            try check(missing, known: sender)
        }
    }

    @Test func anOlmMessageForAnotherDevicesKeyIsRefusedEndToEnd() async throws {
        let alice = try await TestDevice("@alice:test", "ALICE1")
        let bob = try await TestDevice("@bob:test", "BOB1")
        try await alice.startSession(to: bob)
        try await bob.learn(alice)
        var misdirected = try await bob.info()
        misdirected.ed25519 = "bm90IGJvYidzIGtleQ"
        let event = try await alice.toDevice(type: "m.dummy", content: [:], for: misdirected)
        let summary = try await bob.apply(TestDevice.syncResponse(batch: "s1", toDevice: [event]))
        #expect(summary.toDeviceReports.first?["accepted"] == false)
        #expect(summary.toDeviceReports.first?["reason"]?.stringValue?.contains("another device") == true)
    }
}
