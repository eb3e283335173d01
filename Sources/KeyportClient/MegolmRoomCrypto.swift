import Foundation
import KeyportClientCrypto
import MatrixModel

/// Megolm room messages (`m.megolm.v1.aes-sha2`) inside one store transaction: encrypting moves the
/// outbound ratchet and saves it before the event leaves the process, so a crash can skip an index
/// but never reuse one; decrypting saves the inbound session with the event it decrypted.
public struct MegolmRoomCrypto: Sendable {
    public static let algorithm = "m.megolm.v1.aes-sha2"
    /// The spec's defaults for `rotation_period_msgs` and `rotation_period_ms`.
    public static let defaultRotationMessages: Int64 = 100
    public static let defaultRotationMs: Int64 = 7 * 24 * 3600 * 1000

    public let userID: String
    public let deviceID: String

    public init(userID: String, deviceID: String) {
        self.userID = userID
        self.deviceID = deviceID
    }

    /// A new outbound session for `roomID`, shared with nobody yet; our own inbound copy is kept so
    /// that this device reads its own messages.
    public func startOutboundSession(roomID: String, in tx: StoreTransaction) throws -> OutboundGroupRecord {
        let account = try tx.requireAccount()
        let session = MegolmOutboundSession()
        let record = OutboundGroupRecord(
            session: session, sharedWith: [:], createdMs: StoreTransaction.nowMs(), messageCount: 0)
        try tx.saveOutboundGroupSession(record, roomID: roomID)
        let inbound = try MegolmInboundSession(sessionKey: session.sessionKey)
        try tx.addInboundGroupSession(
            InboundGroupRecord(
                roomID: roomID, session: inbound, senderKey: account.curve25519Key.base64,
                senderEd25519: account.ed25519Key.base64, forwarded: false))
        return record
    }

    /// Whether the session must be replaced before the next message: too old or too used, or a
    /// device that holds its key is no longer among `recipients` (a member left, a device was
    /// deleted), since that device must not read what comes next.
    public static func needsRotation(
        _ record: OutboundGroupRecord, recipients: Set<DeviceRef>, encryption: RoomEncryption, nowMs: Int64
    ) -> Bool {
        if record.messageCount >= encryption.rotationMessages { return true }
        if nowMs - record.createdMs >= encryption.rotationMs { return true }
        return !record.roomKeyHolders.isSubset(of: recipients)
    }

    /// The `m.room_key` content for the session at its current index.
    public static func roomKeyContent(roomID: String, session: MegolmOutboundSession) -> JSONObject {
        [
            "algorithm": .string(algorithm), "room_id": .string(roomID), "session_id": .string(session.sessionID),
            "session_key": .string(session.sessionKey),
        ]
    }

    /// Encrypts one room event with the room's outbound session, saving the advanced ratchet.
    public func encrypt(roomID: String, type: String, content: JSONObject, in tx: StoreTransaction) throws
        -> JSONObject
    {
        guard var record = try tx.outboundGroupSession(roomID: roomID) else {
            throw ClientError.refused("no outbound Megolm session for \(roomID)")
        }
        let account = try tx.requireAccount()
        let plaintext: JSONValue = ["type": .string(type), "content": .object(content), "room_id": .string(roomID)]
        let message = record.session.encrypt(JSONWriter.bytes(plaintext))
        record.messageCount += 1
        try tx.saveOutboundGroupSession(record, roomID: roomID)
        return [
            "algorithm": .string(Self.algorithm), "sender_key": .string(account.curve25519Key.base64),
            "ciphertext": .string(message.base64), "session_id": .string(record.session.sessionID),
            "device_id": .string(deviceID),
        ]
    }

    /// Tries to decrypt a stored encrypted event and saves the result, whatever it is.
    @discardableResult
    public func decrypt(_ stored: TimelineEvent, in tx: StoreTransaction) throws -> TimelineEvent {
        var event = stored
        defer { try? tx.saveDecryption(event) }
        let content = (try? JSONParser(options: .lenient).parse(event.json))?["content"]?.objectValue ?? [:]
        guard content["algorithm"]?.stringValue == Self.algorithm,
            let sessionID = content["session_id"]?.stringValue, let ciphertext = content["ciphertext"]?.stringValue
        else {
            event.error = "unsupported or malformed encrypted event"
            return event
        }
        guard var record = try tx.inboundGroupSession(roomID: event.roomID, sessionID: sessionID) else {
            event.error = "no room key for session \(sessionID)"
            return event
        }
        let plaintext: [UInt8]
        let index: UInt32
        do {
            (plaintext, index) = try record.session.decrypt(base64: ciphertext)
        } catch {
            event.error = "\(error)"
            return event
        }
        let first = try tx.claimMegolmIndex(
            roomID: event.roomID, sessionID: sessionID, index: Int64(index), eventID: event.eventID)
        guard first == event.eventID else {
            event.error = "Megolm index \(index) was used by \(first) already: replay"
            return event
        }
        guard let payload = try? JSONParser(options: .lenient).parse(plaintext).objectValue,
            let type = payload["type"]?.stringValue, let inner = payload["content"]?.objectValue
        else {
            event.error = "the decrypted payload is not an event"
            return event
        }
        guard payload["room_id"]?.stringValue == event.roomID else {
            event.error = "the decrypted payload belongs to another room"
            return event
        }
        try tx.saveInboundGroupSession(record)
        event.decryptedType = type
        event.decryptedContent = JSONValue.object(inner).encodedString()
        event.messageIndex = Int64(index)
        event.error = nil
        return event
    }
}
