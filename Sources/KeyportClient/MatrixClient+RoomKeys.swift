import KeyportClientCrypto
import MatrixModel

/// Room-key sharing: before a message goes to an encrypted room, every device of every joined or
/// invited member (our own other devices included) holds the current Megolm session's key. The
/// session is replaced first when a device that holds its key is gone (a member left, a device was
/// deleted) or when it is too old or too used.
extension MatrixClient {
    /// Makes sure the room's outbound session is current and shared; returns its session ID.
    @discardableResult
    public func shareRoomKey(roomID: String) async throws -> String {
        let userID = userID
        let deviceID = deviceID
        let members = try await store.write { tx in
            let members = try tx.roomKeyRecipients(roomID: roomID)
            for member in members { try tx.trackUser(member) }
            return members
        }
        try await updateOutdatedDevices()
        let megolm = megolm
        let (record, toShare) = try await store.write { tx in
            guard let encryption = try tx.roomEncryption(roomID: roomID) else {
                throw ClientError.refused("\(roomID) is not encrypted")
            }
            var recipients: [DeviceInfo] = []
            for member in members {
                recipients += try tx.devices(userID: member).filter {
                    !($0.userID == userID && $0.deviceID == deviceID)
                }
            }
            let refs = Set(recipients.map(\.ref))
            var record = try tx.outboundGroupSession(roomID: roomID)
            if let current = record,
                MegolmRoomCrypto.needsRotation(
                    current, recipients: refs, encryption: encryption, nowMs: StoreTransaction.nowMs())
            {
                record = nil
            }
            let current = try record ?? megolm.startOutboundSession(roomID: roomID, in: tx)
            let toShare = recipients.filter { current.sharedWith[$0.userID]?[$0.deviceID] != $0.curve25519 }
            return (current, toShare)
        }
        let sessionID = record.session.sessionID
        guard !toShare.isEmpty else { return sessionID }
        let content = MegolmRoomCrypto.roomKeyContent(roomID: roomID, session: record.session)
        let sent = try await sendEncrypted(type: "m.room_key", contents: toShare.map { ($0, content) })
        let byRef = Dictionary(uniqueKeysWithValues: toShare.map { ($0.ref, $0) })
        // Recorded after the send: a crash before this line shares the key again, never not at all.
        try await store.write { tx in
            guard var stored = try tx.outboundGroupSession(roomID: roomID), stored.session.sessionID == sessionID
            else { return }
            for ref in sent {
                guard let device = byRef[ref] else { continue }
                stored.sharedWith[ref.userID, default: [:]][ref.deviceID] = device.curve25519
            }
            try tx.saveOutboundGroupSession(stored, roomID: roomID)
        }
        return sessionID
    }

    /// The devices that hold the room's current outbound session key.
    public func roomKeyHolders(roomID: String) async throws -> (sessionID: String, devices: [DeviceRef])? {
        try await store.read { tx in
            guard let record = try tx.outboundGroupSession(roomID: roomID) else { return nil }
            return (record.session.sessionID, record.roomKeyHolders.sorted())
        }
    }
}
