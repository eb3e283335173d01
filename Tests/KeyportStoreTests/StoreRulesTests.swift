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

@Suite("Key backup rules")
struct KeyBackupRuleTests {
    static func key(_ verified: Bool, _ firstMessageIndex: Int64, _ forwardedCount: Int64) -> KeyBackupData {
        KeyBackupData(
            firstMessageIndex: firstMessageIndex, forwardedCount: forwardedCount, isVerified: verified,
            sessionData: [:])
    }

    @Test("Verified first, then the lower first_message_index, then the lower forwarded_count; a tie keeps")
    func replacementOrder() {
        let stored = Self.key(false, 5, 5)
        let replaces = { (candidate: KeyBackupData) in KeyBackupRule.replaces(stored, with: candidate) }
        #expect(replaces(Self.key(true, 9, 9)), "verified beats unverified whatever the counts")
        #expect(!replaces(Self.key(false, 6, 0)), "a higher index loses even with fewer forwards")
        #expect(replaces(Self.key(false, 4, 9)), "a lower index wins even with more forwards")
        #expect(replaces(Self.key(false, 5, 4)), "same index: fewer forwards win")
        #expect(!replaces(Self.key(false, 5, 6)))
        #expect(!replaces(Self.key(false, 5, 5)), "a tie keeps the stored key")
        let verified = Self.key(true, 5, 5)
        #expect(!KeyBackupRule.replaces(verified, with: Self.key(false, 0, 0)), "unverified never beats verified")
        #expect(KeyBackupRule.replaces(verified, with: Self.key(true, 4, 9)))
        #expect(!KeyBackupRule.replaces(verified, with: Self.key(true, 6, 0)))
        #expect(KeyBackupRule.replaces(verified, with: Self.key(true, 5, 4)))
        #expect(!KeyBackupRule.replaces(verified, with: Self.key(true, 5, 5)))
    }

    @Test("An upload goes to the current version; an older live one names the current; others are not found")
    func uploadTarget() {
        #expect(KeyBackupRule.refusal(version: 2, versionIsLive: true, current: 2) == nil)
        #expect(KeyBackupRule.refusal(version: 1, versionIsLive: true, current: 2) == .notCurrent(current: 2))
        #expect(KeyBackupRule.refusal(version: 3, versionIsLive: false, current: 2) == .versionNotFound)
        #expect(KeyBackupRule.refusal(version: 1, versionIsLive: false, current: nil) == .versionNotFound)
    }

    @Test("The plan inserts new sessions, updates the ones it beats, and fits a limit only when inserting")
    func plan() {
        func session(_ id: String, _ key: KeyBackupData) -> KeyBackupSession {
            KeyBackupSession(roomID: "!r", sessionID: id, data: key)
        }
        let uploads = [
            session("new", Self.key(false, 1, 0)), session("better", Self.key(true, 9, 9)),
            session("worse", Self.key(false, 9, 0)),
        ]
        let plan = KeyBackupRule.plan(uploads, stored: [nil, Self.key(false, 0, 0), Self.key(false, 0, 0)])
        #expect(plan.inserts == [uploads[0]])
        #expect(plan.updates == [uploads[1]])
        #expect(plan.changesKeys)
        #expect(plan.fits(storedSessions: 9, maxSessions: 10))
        #expect(!plan.fits(storedSessions: 10, maxSessions: 10))
        let replacing = KeyBackupRule.plan([uploads[1]], stored: [Self.key(false, 0, 0)])
        #expect(replacing.fits(storedSessions: 50, maxSessions: 10))
        #expect(!KeyBackupRule.plan([uploads[2]], stored: [Self.key(false, 0, 0)]).changesKeys)
    }
}
