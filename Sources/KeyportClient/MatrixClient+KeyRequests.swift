import KeyportClientCrypto
import MatrixModel

/// Key requests: asking our other devices for Megolm keys we lack (`m.room_key_request`), and
/// answering such requests with `m.forwarded_room_key` only for our own devices that this device
/// verified (``KeyRequestPolicy``).
extension MatrixClient {
    /// Asks our own devices for the key of every session in the room we cannot decrypt yet; returns
    /// one line per request sent.
    public func requestKeys(roomID: String) async throws -> [JSONObject] {
        let sessions = try await store.read { tx in
            var seen: Set<String> = []
            var sessions: [(sessionID: String, senderKey: String)] = []
            for event in try tx.undecryptedEvents(roomID: roomID) {
                guard let session = event.sessionID, seen.insert(session).inserted else { continue }
                sessions.append((session, event.senderKey ?? ""))
            }
            return sessions
        }
        var lines: [JSONObject] = []
        for (sessionID, senderKey) in sessions {
            let requestID = Self.transactionID()
            try await store.write { tx in
                try tx.addOutgoingKeyRequest(
                    requestID: requestID, roomID: roomID, sessionID: sessionID, senderKey: senderKey)
            }
            let content: JSONObject = [
                "action": "request", "request_id": .string(requestID), "requesting_device_id": .string(deviceID),
                "body": [
                    "algorithm": .string(MegolmRoomCrypto.algorithm), "room_id": .string(roomID),
                    "sender_key": .string(senderKey), "session_id": .string(sessionID),
                ],
            ]
            try await sendToDevice(type: "m.room_key_request", messages: [userID: ["*": .object(content)]])
            lines.append([
                "key_request": "sent", "request_id": .string(requestID), "room_id": .string(roomID),
                "session_id": .string(sessionID),
            ])
        }
        return lines
    }

    /// Answers every pending request, forwarding keys only where the policy allows.
    public func answerKeyRequests() async throws -> [JSONObject] {
        let waiting = try await store.read { try $0.pendingIncomingKeyRequests() }
        guard !waiting.isEmpty else { return [] }
        // A request from a device of ours we do not know yet: learn our device list first.
        let unknown = try await store.write { [userID] tx in
            var unknown = false
            for request in waiting where request.requester.userID == userID {
                if try tx.device(userID: userID, deviceID: request.requester.deviceID) == nil { unknown = true }
            }
            if unknown { try tx.markOutdated(userID) }
            return unknown
        }
        var pending = waiting
        if unknown {
            try await updateOutdatedDevices()
            pending = try await store.read { try $0.pendingIncomingKeyRequests() }
        }
        var lines: [JSONObject] = []
        for request in pending {
            let (decision, device, content) = try await store.read { [userID, deviceID] tx in
                let device = try tx.device(userID: request.requester.userID, deviceID: request.requester.deviceID)
                let verified = try device.map { try tx.isVerified($0) } ?? false
                let record = try tx.inboundGroupSession(roomID: request.roomID, sessionID: request.sessionID)
                let decision = KeyRequestPolicy.answer(
                    requester: request.requester, ownUserID: userID, ownDeviceID: deviceID, device: device,
                    verified: verified, haveSession: record != nil)
                let content = record.map { record -> JSONObject in
                    [
                        "algorithm": .string(MegolmRoomCrypto.algorithm), "room_id": .string(record.roomID),
                        "sender_key": .string(record.senderKey), "session_id": .string(record.sessionID),
                        "session_key": .string(record.session.exportAtFirstKnownIndex),
                        "sender_claimed_ed25519_key": .string(record.senderEd25519),
                        "forwarding_curve25519_key_chain": [],
                    ]
                }
                return (decision, device, content)
            }
            var line: JSONObject = [
                "key_request": "received", "user_id": .string(request.requester.userID),
                "device_id": .string(request.requester.deviceID), "room_id": .string(request.roomID),
                "session_id": .string(request.sessionID),
            ]
            var state = "answered"
            if case .refuse(let reason) = decision {
                state = "refused: \(reason)"
                line["reason"] = .string(reason)
            } else if let device, let content {
                let sent = try await sendEncrypted(type: "m.forwarded_room_key", contents: [(device, content)])
                if sent.isEmpty { state = "refused: no Olm session with the device" }
            }
            line["answered"] = .bool(state == "answered")
            let final = state
            try await store.write { tx in try tx.setIncomingKeyRequestState(request, final) }
            lines.append(line)
        }
        return lines
    }
}
