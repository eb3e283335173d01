import KeyportClient
import KeyportClientCrypto
import MatrixModel
import Testing

/// CVE-2022-39249 and friends: keys go to, and come from, our own verified devices only.
@Suite struct KeyRequestPolicyTests {
    let own = DeviceInfo(userID: "@alice:test", deviceID: "ALICE3", curve25519: "c3", ed25519: "e3")
    let other = DeviceInfo(userID: "@mallory:test", deviceID: "M1", curve25519: "cm", ed25519: "em")

    func answer(_ device: DeviceInfo?, requester: DeviceRef? = nil, verified: Bool, haveSession: Bool = true)
        -> KeyRequestPolicy.Decision
    {
        KeyRequestPolicy.answer(
            requester: requester ?? device?.ref ?? DeviceRef(userID: "@alice:test", deviceID: "GHOST"),
            ownUserID: "@alice:test", ownDeviceID: "ALICE1", device: device, verified: verified,
            haveSession: haveSession)
    }

    @Test func onlyOurOwnVerifiedDevicesGetKeys() {
        #expect(answer(own, verified: true) == .share)
        #expect(answer(own, verified: false) == .refuse("the requesting device is not verified"))
        #expect(answer(other, verified: true) == .refuse("the request comes from another user"))
        #expect(answer(nil, verified: true) == .refuse("the requesting device is unknown"))
        #expect(answer(own, verified: true, haveSession: false) == .refuse("this device does not hold the session"))
        var deleted = own
        deleted.deleted = true
        #expect(answer(deleted, verified: true) == .refuse("the requesting device is unknown"))
        let me = DeviceRef(userID: "@alice:test", deviceID: "ALICE1")
        #expect(answer(own, requester: me, verified: true) == .refuse("the request comes from this device"))
    }

    func accept(sender: String, device: DeviceInfo?, verified: Bool, requested: Bool) -> KeyRequestPolicy.Decision {
        KeyRequestPolicy.acceptForwardedKey(
            sender: sender, senderDevice: device, ownUserID: "@alice:test", ownDeviceID: "ALICE1", verified: verified,
            requested: requested)
    }

    @Test func forwardedKeysOnlyFromOurOwnVerifiedDevicesAndOnlyWhenAsked() {
        #expect(accept(sender: "@alice:test", device: own, verified: true, requested: true) == .share)
        #expect(accept(sender: "@alice:test", device: own, verified: false, requested: true) != .share)
        #expect(accept(sender: "@alice:test", device: own, verified: true, requested: false) != .share)
        #expect(accept(sender: "@mallory:test", device: other, verified: true, requested: true) != .share)
        // A message from another user over the Olm session of one of our devices is still refused.
        #expect(accept(sender: "@mallory:test", device: own, verified: true, requested: true) != .share)
        #expect(accept(sender: "@alice:test", device: nil, verified: true, requested: true) != .share)
    }

    @Test func forwardedKeyFromAnUnverifiedOwnDeviceIsRefusedThenAcceptedOnceVerified() async throws {
        let first = try await TestDevice("@alice:test", "ALICE1")
        let third = try await TestDevice("@alice:test", "ALICE3")
        let room = try await TestRoom("!room:test", sender: first)
        let message = try await room.message("history", eventID: "$history")
        _ = try await third.apply(TestDevice.syncResponse(batch: "s1", roomID: room.roomID, timeline: [message]))
        try await first.startSession(to: third)
        try await third.learn(first)
        let (roomID, sessionID) = (room.roomID, room.sessionID)
        try await third.store.write { tx in
            try tx.addOutgoingKeyRequest(requestID: "r1", roomID: roomID, sessionID: sessionID, senderKey: "")
        }
        let forwarded = try await first.store.read { tx -> JSONObject in
            let record = try tx.inboundGroupSession(roomID: roomID, sessionID: sessionID)!
            return [
                "algorithm": "m.megolm.v1.aes-sha2", "room_id": .string(roomID), "session_id": .string(sessionID),
                "sender_key": .string(record.senderKey), "session_key": .string(record.session.exportAtFirstKnownIndex),
                "sender_claimed_ed25519_key": .string(record.senderEd25519), "forwarding_curve25519_key_chain": [],
            ]
        }
        let thirdInfo = try await third.info()
        let unverified = try await first.toDevice(type: "m.forwarded_room_key", content: forwarded, for: thirdInfo)
        let refused = try await third.apply(TestDevice.syncResponse(batch: "s2", toDevice: [unverified]))
        #expect(refused.toDeviceReports.first?["accepted"] == false)
        #expect(refused.lateDecryptions.isEmpty)

        let firstInfo = try await first.info()
        try await third.store.write { tx in
            try tx.setVerified(userID: firstInfo.userID, deviceID: firstInfo.deviceID, ed25519: firstInfo.ed25519)
        }
        let verified = try await first.toDevice(type: "m.forwarded_room_key", content: forwarded, for: thirdInfo)
        let accepted = try await third.apply(TestDevice.syncResponse(batch: "s3", toDevice: [verified]))
        #expect(accepted.toDeviceReports.first?["accepted"] == true)
        #expect(accepted.lateDecryptions.map(\.eventID) == ["$history"])
    }

    @Test func rotationWhenAKeyHolderIsGone() throws {
        let encryption = RoomEncryption(algorithm: MegolmRoomCrypto.algorithm, rotationMessages: 100, rotationMs: 1000)
        let a2 = DeviceRef(userID: "@alice:test", deviceID: "ALICE2")
        let b1 = DeviceRef(userID: "@bob:test", deviceID: "BOB1")
        let record = OutboundGroupRecord(
            session: .init(), sharedWith: ["@alice:test": ["ALICE2": "c2"], "@bob:test": ["BOB1": "cb"]],
            createdMs: 0, messageCount: 1)
        #expect(!MegolmRoomCrypto.needsRotation(record, recipients: [a2, b1], encryption: encryption, nowMs: 10))
        #expect(MegolmRoomCrypto.needsRotation(record, recipients: [b1], encryption: encryption, nowMs: 10))
        #expect(MegolmRoomCrypto.needsRotation(record, recipients: [a2, b1], encryption: encryption, nowMs: 1000))
        var used = record
        used.messageCount = 100
        #expect(MegolmRoomCrypto.needsRotation(used, recipients: [a2, b1], encryption: encryption, nowMs: 10))
    }
}
