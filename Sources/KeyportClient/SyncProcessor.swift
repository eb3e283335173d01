import Foundation
import KeyportClientCrypto
import MatrixModel

/// What one `/sync` answer changed, for the caller to act on after the transaction commits.
public struct SyncSummary: Sendable {
    public var nextBatch: String = ""
    /// Timeline events seen for the first time, in the order the answer gave them.
    public var newEvents: [TimelineEvent] = []
    /// Events decrypted now thanks to a key that arrived in this answer.
    public var lateDecryptions: [TimelineEvent] = []
    public var invites: [String] = []
    /// One line per to-device event: what it was and whether we took it.
    public var toDeviceReports: [JSONObject] = []
    /// `device_one_time_keys_count.signed_curve25519`, when the answer has it.
    public var oneTimeKeyCount: Int64?
    /// False when the server says our fallback key was used (or none is there).
    public var fallbackKeyPresent: Bool?
}

/// Applies one `/sync` answer to the store inside one transaction: device-list changes, to-device
/// messages (Olm decryption, room keys, forwarded keys, key requests), room state and timeline
/// (Megolm decryption), and the new `since` token last. A crash before the commit leaves the store as
/// it was, so the server sends the same answer again and nothing is lost or taken twice; a repeated
/// answer after the commit changes nothing (events by ID, to-device messages by digest, room keys by
/// session and index).
public struct SyncProcessor: Sendable {
    public let userID: String
    public let deviceID: String

    public init(userID: String, deviceID: String) {
        self.userID = userID
        self.deviceID = deviceID
    }

    public func apply(_ response: JSONObject, in tx: StoreTransaction) throws -> SyncSummary {
        var summary = SyncSummary()
        guard let nextBatch = response["next_batch"]?.stringValue else {
            throw ClientError.invalidResponse("/sync answer lacks next_batch")
        }
        summary.nextBatch = nextBatch

        for user in response["device_lists"]?["changed"]?.arrayValue ?? [] {
            if let user = user.stringValue { try tx.markOutdated(user) }
        }
        for user in response["device_lists"]?["left"]?.arrayValue ?? [] {
            if let user = user.stringValue, user != userID { try tx.untrackUser(user) }
        }

        var gained: [(room: String, session: String)] = []
        for event in response["to_device"]?["events"]?.arrayValue ?? [] {
            guard let event = event.objectValue else { continue }
            if let report = try toDevice(event, gained: &gained, in: tx) { summary.toDeviceReports.append(report) }
        }

        let megolm = MegolmRoomCrypto(userID: userID, deviceID: deviceID)
        for (roomID, room) in response["rooms"]?["join"]?.objectValue ?? [:] {
            summary.newEvents += try roomUpdate(roomID: roomID, room: room, megolm: megolm, in: tx)
        }
        for (roomID, room) in response["rooms"]?["leave"]?.objectValue ?? [:] {
            summary.newEvents += try roomUpdate(roomID: roomID, room: room, megolm: megolm, in: tx)
        }
        for (roomID, _) in response["rooms"]?["invite"]?.objectValue ?? [:] {
            if try tx.membership(roomID: roomID, userID: userID) != "invite" {
                try tx.setMembership(roomID: roomID, userID: userID, membership: "invite")
                summary.invites.append(roomID)
            }
        }

        for (room, session) in gained {
            for event in try tx.undecryptedEvents(roomID: room, sessionID: session) {
                let result = try megolm.decrypt(event, in: tx)
                if result.isDecrypted { summary.lateDecryptions.append(result) }
            }
        }

        summary.oneTimeKeyCount = response["device_one_time_keys_count"]?["signed_curve25519"]?.intValue
        if let unused = response["device_unused_fallback_key_types"]?.arrayValue {
            summary.fallbackKeyPresent = unused.contains(.string("signed_curve25519"))
        }
        try tx.setMeta("since", nextBatch)
        return summary
    }

    private func roomUpdate(roomID: String, room: JSONValue, megolm: MegolmRoomCrypto, in tx: StoreTransaction)
        throws -> [TimelineEvent]
    {
        let state = room["state"]?["events"]?.arrayValue ?? []
        let timeline = room["timeline"]?["events"]?.arrayValue ?? []
        for event in state + timeline {
            guard let event = event.objectValue, let stateKey = event["state_key"]?.stringValue else { continue }
            let content = event["content"]?.objectValue ?? [:]
            switch event["type"]?.stringValue {
            case "m.room.member":
                let membership = content["membership"]?.stringValue ?? "leave"
                try tx.setMembership(roomID: roomID, userID: stateKey, membership: membership)
                if membership == "join" || membership == "invite" { try tx.trackUser(stateKey) }
            case "m.room.encryption" where stateKey.isEmpty:
                // Once on, encryption stays on: a later event cannot turn it off or change the algorithm.
                if try tx.roomEncryption(roomID: roomID) == nil, let algorithm = content["algorithm"]?.stringValue {
                    try tx.setRoomEncryption(
                        roomID: roomID,
                        RoomEncryption(
                            algorithm: algorithm,
                            rotationMessages: content["rotation_period_msgs"]?.intValue
                                ?? MegolmRoomCrypto.defaultRotationMessages,
                            rotationMs: content["rotation_period_ms"]?.intValue ?? MegolmRoomCrypto.defaultRotationMs))
                }
            default: break
            }
        }
        var fresh: [TimelineEvent] = []
        for event in timeline {
            guard let object = event.objectValue else { continue }
            var stored = try TimelineEvent(event: object, roomID: roomID)
            guard try tx.insertEvent(stored) else { continue }
            if stored.isEncrypted { stored = try megolm.decrypt(stored, in: tx) }
            fresh.append(stored)
        }
        return fresh
    }

    /// One to-device event. Returns the report line, or nil for a message seen before.
    private func toDevice(_ event: JSONObject, gained: inout [(room: String, session: String)], in tx: StoreTransaction)
        throws -> JSONObject?
    {
        let sender = event["sender"]?.stringValue ?? ""
        let type = event["type"]?.stringValue ?? ""
        let content = event["content"]?.objectValue ?? [:]
        let digestInput: JSONValue = ["sender": .string(sender), "type": .string(type), "content": .object(content)]
        let digest = Base64Unpadded.encode(Primitives.sha256(JSONWriter.bytes(digestInput)))
        guard try tx.markToDeviceSeen(digest) else { return nil }
        var report: JSONObject = ["to_device": .string(type), "sender": .string(sender)]

        switch type {
        case "m.room.encrypted":
            let channel = OlmChannel(userID: userID, deviceID: deviceID)
            let senderKey: String
            let payload: OlmPayload.Checked
            do {
                (senderKey, payload) = try channel.decrypt(content, sender: sender, in: tx)
            } catch let failure as OlmChannel.Failure {
                report["accepted"] = false
                report["reason"] = .string(failure.description)
                return report
            }
            report["to_device"] = .string(payload.type)
            report["encrypted"] = true
            let decision: KeyRequestPolicy.Decision
            switch payload.type {
            case "m.room_key":
                decision = try roomKey(payload, senderKey: senderKey, gained: &gained, in: tx)
            case "m.forwarded_room_key":
                decision = try forwardedRoomKey(
                    payload, sender: sender, senderKey: senderKey, gained: &gained, in: tx)
            default:
                decision = .share
            }
            if let room = payload.content["room_id"] { report["room_id"] = room }
            if let session = payload.content["session_id"] { report["session_id"] = session }
            switch decision {
            case .share: report["accepted"] = true
            case .refuse(let reason):
                report["accepted"] = false
                report["reason"] = .string(reason)
            }
        case "m.room_key_request":
            try keyRequest(content, sender: sender, in: tx)
            report["action"] = content["action"] ?? .null
            report["requesting_device_id"] = content["requesting_device_id"] ?? .null
        default:
            break
        }
        return report
    }

    private func roomKey(
        _ payload: OlmPayload.Checked, senderKey: String, gained: inout [(room: String, session: String)],
        in tx: StoreTransaction
    ) throws -> KeyRequestPolicy.Decision {
        guard payload.content["algorithm"]?.stringValue == MegolmRoomCrypto.algorithm,
            let roomID = payload.content["room_id"]?.stringValue,
            let sessionID = payload.content["session_id"]?.stringValue,
            let key = payload.content["session_key"]?.stringValue
        else { return .refuse("malformed m.room_key") }
        guard let session = try? MegolmInboundSession(sessionKey: key), session.sessionID == sessionID else {
            return .refuse("the session key does not verify or is for another session")
        }
        let record = InboundGroupRecord(
            roomID: roomID, session: session, senderKey: senderKey, senderEd25519: payload.senderEd25519,
            forwarded: false)
        if try tx.addInboundGroupSession(record) { gained.append((roomID, sessionID)) }
        return .share
    }

    private func forwardedRoomKey(
        _ payload: OlmPayload.Checked, sender: String, senderKey: String,
        gained: inout [(room: String, session: String)], in tx: StoreTransaction
    ) throws -> KeyRequestPolicy.Decision {
        let content = payload.content
        guard content["algorithm"]?.stringValue == MegolmRoomCrypto.algorithm,
            let roomID = content["room_id"]?.stringValue, let sessionID = content["session_id"]?.stringValue,
            let key = content["session_key"]?.stringValue, let originalSender = content["sender_key"]?.stringValue,
            let claimed = content["sender_claimed_ed25519_key"]?.stringValue
        else { return .refuse("malformed m.forwarded_room_key") }
        let device = try tx.device(curve25519: senderKey)
        let verified = try device.map { try tx.isVerified($0) } ?? false
        let requested = try tx.hasOutgoingKeyRequest(roomID: roomID, sessionID: sessionID)
        let decision = KeyRequestPolicy.acceptForwardedKey(
            sender: sender, senderDevice: device, ownUserID: userID, ownDeviceID: deviceID, verified: verified,
            requested: requested)
        guard decision == .share else { return decision }
        guard let session = try? MegolmInboundSession(exportedKey: key), session.sessionID == sessionID else {
            return .refuse("the forwarded key is malformed or for another session")
        }
        let record = InboundGroupRecord(
            roomID: roomID, session: session, senderKey: originalSender, senderEd25519: claimed, forwarded: true)
        if try tx.addInboundGroupSession(record) { gained.append((roomID, sessionID)) }
        return .share
    }

    private func keyRequest(_ content: JSONObject, sender: String, in tx: StoreTransaction) throws {
        guard let action = content["action"]?.stringValue, let requestID = content["request_id"]?.stringValue,
            let device = content["requesting_device_id"]?.stringValue
        else { return }
        if action == "request_cancellation" {
            try tx.cancelIncomingKeyRequest(userID: sender, deviceID: device, requestID: requestID)
            return
        }
        guard action == "request", let body = content["body"]?.objectValue,
            body["algorithm"]?.stringValue == MegolmRoomCrypto.algorithm,
            let roomID = body["room_id"]?.stringValue, let sessionID = body["session_id"]?.stringValue
        else { return }
        try tx.addIncomingKeyRequest(
            IncomingKeyRequest(
                requester: DeviceRef(userID: sender, deviceID: device), requestID: requestID, roomID: roomID,
                sessionID: sessionID, senderKey: body["sender_key"]?.stringValue ?? ""))
    }
}
