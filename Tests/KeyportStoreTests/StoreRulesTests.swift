import KeyportStore
import MatrixModel
import Testing

/// The Matrix rules every engine applies inside its transactions (KeyportStore/Rules), on their own.
@Suite("Store rules")
struct StoreRulesTests {
    @Test("A remote update applies only when every prev_id is known and the list is fresh")
    func remoteDeviceUpdates() {
        typealias Rule = RemoteDeviceUpdateRule
        #expect(Rule.decide(listIsStale: false, hasPrevIDs: true, prevIDsAllSeen: true, streamIDSeen: false) == .apply)
        #expect(
            Rule.decide(listIsStale: false, hasPrevIDs: true, prevIDsAllSeen: false, streamIDSeen: false) == .markStale)
        #expect(
            Rule.decide(listIsStale: false, hasPrevIDs: false, prevIDsAllSeen: true, streamIDSeen: false) == .markStale)
        #expect(
            Rule.decide(listIsStale: true, hasPrevIDs: true, prevIDsAllSeen: true, streamIDSeen: false) == .markStale)
        #expect(
            Rule.decide(listIsStale: nil, hasPrevIDs: true, prevIDsAllSeen: true, streamIDSeen: false) == .markStale)
        #expect(
            Rule.decide(listIsStale: false, hasPrevIDs: true, prevIDsAllSeen: false, streamIDSeen: true)
                == .alreadyApplied)
        #expect(
            Rule.decide(listIsStale: true, hasPrevIDs: true, prevIDsAllSeen: true, streamIDSeen: true) == .markStale)
    }

    @Test("Master and self-signing changes are public; a user-signing change alone is private")
    func crossSigningChanges() {
        #expect(KeyChangeRules.crossSigningChange(userID: "@a:x", changedUsages: []) == nil)
        #expect(
            KeyChangeRules.crossSigningChange(userID: "@a:x", changedUsages: [.userSigning])?.kind == .privateToUser)
        #expect(
            KeyChangeRules.crossSigningChange(userID: "@a:x", changedUsages: [.userSigning, .master])?.kind
                == .crossSigning)
        #expect(KeyChangeRules.crossSigningChange(userID: "@a:x", changedUsages: [.selfSigning])?.kind == .crossSigning)
    }

    @Test("Own signatures change a device or the cross-signing keys; others' are private to the signer")
    func signatureChanges() {
        func signature(_ target: String, _ key: String, by signer: String) -> KeySignature {
            KeySignature(
                targetUserID: target, targetKeyID: key, signerUserID: signer, signerKeyID: "ed25519:S", signature: "s")
        }
        let changes = KeyChangeRules.signatureChanges([
            signature("@a:x", "DEV", by: "@a:x"), signature("@a:x", "MASTERKEY", by: "@a:x"),
            signature("@b:x", "BMASTER", by: "@c:x"), signature("@b:x", "BMASTER", by: "@a:x"),
        ]) { _, keyID in keyID == "DEV" }
        #expect(
            changes == [
                .init(userID: "@a:x", kind: .device, deviceID: "DEV"), .init(userID: "@a:x", kind: .crossSigning),
                .init(userID: "@c:x", kind: .privateToUser),
            ])
    }

    @Test("* reaches every existing device; a named device only if it exists")
    func toDeviceRecipients() {
        #expect(ToDeviceRecipientRule.devices(for: "*", existing: ["B", "A"]) == ["A", "B"])
        #expect(ToDeviceRecipientRule.devices(for: "A", existing: ["B", "A"]) == ["A"])
        #expect(ToDeviceRecipientRule.devices(for: "C", existing: ["B", "A"]).isEmpty)
    }

    @Test("Only m.room.member state events with a string membership set membership")
    func roomMembership() {
        func event(_ type: String, stateKey: String?, content: JSONObject) -> RoomEvent {
            RoomEvent(
                eventID: "$e", roomID: "!r:x", type: type, stateKey: stateKey, sender: "@a:x", content: content,
                originServerTS: 0)
        }
        #expect(
            RoomMembershipRule.membershipChange(
                of: event("m.room.member", stateKey: "@b:x", content: ["membership": "join"]))?.membership == "join")
        #expect(
            RoomMembershipRule.membershipChange(
                of: event("m.room.member", stateKey: nil, content: ["membership": "join"])) == nil)
        #expect(
            RoomMembershipRule.membershipChange(
                of: event("m.room.member", stateKey: "@b:x", content: ["membership": 1])) == nil)
        #expect(
            RoomMembershipRule.membershipChange(
                of: event("m.room.topic", stateKey: "", content: ["membership": "join"])) == nil)
    }
}

@Suite("Device-list update chains")
struct DeviceListUpdateChainRuleTests {
    @Test("A device-list update names the previous stream ID sent to its destination")
    func chains() {
        let update = QueuedEDU(
            destination: "b.example", type: "m.device_list_update",
            content: ["user_id": "@a:x", "device_id": "D", "stream_id": 7])
        #expect(DeviceListUpdateChainRule.link(of: update)?.userID == "@a:x")
        #expect(DeviceListUpdateChainRule.link(of: update)?.streamID == 7)
        #expect(DeviceListUpdateChainRule.chained(update, previous: nil).content["prev_id"] == [])
        #expect(DeviceListUpdateChainRule.chained(update, previous: 3).content["prev_id"] == [3])
        let other = QueuedEDU(destination: "b.example", type: "m.signing_key_update", content: ["user_id": "@a:x"])
        #expect(DeviceListUpdateChainRule.link(of: other) == nil)
    }
}
