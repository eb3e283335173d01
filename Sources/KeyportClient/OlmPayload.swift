import MatrixModel

/// The plaintext inside an `m.olm.v1.curve25519-aes-sha2` message, as the spec requires it: the
/// inner event's `type` and `content`, who sent it (`sender`, `sender_device`, `keys.ed25519`) and
/// for whom (`recipient`, `recipient_keys.ed25519`). Olm authenticates only the Curve25519 keys;
/// these fields bind the message to the Matrix identities on both ends, and ``check(_:eventSender:ownUserID:ownEd25519:senderDevice:)``
/// refuses a payload whose fields do not match, so that one user's message cannot be replayed as
/// another's or forwarded to a different device.
public enum OlmPayload {
    public static func make(
        type: String, content: JSONObject, sender: String, senderDevice: String, senderEd25519: String,
        recipient: String, recipientEd25519: String
    ) -> JSONObject {
        [
            "type": .string(type), "content": .object(content), "sender": .string(sender),
            "sender_device": .string(senderDevice), "keys": ["ed25519": .string(senderEd25519)],
            "recipient": .string(recipient), "recipient_keys": ["ed25519": .string(recipientEd25519)],
        ]
    }

    /// A payload that passed the checks.
    public struct Checked: Sendable, Equatable {
        public var type: String
        public var content: JSONObject
        public var senderDevice: String?
        /// The Ed25519 key the sender claims; equal to the known device's key when we know it.
        public var senderEd25519: String
    }

    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case missingField(String)
        case senderMismatch(claimed: String, actual: String)
        case recipientMismatch(String)
        case recipientKeyMismatch
        case senderKeyMismatch
        case senderDeviceMismatch

        public var description: String {
            switch self {
            case .missingField(let field): "Olm payload lacks \(field)"
            case .senderMismatch(let claimed, let actual):
                "Olm payload claims sender \(claimed), event is from \(actual)"
            case .recipientMismatch(let recipient): "Olm payload is for \(recipient), not us"
            case .recipientKeyMismatch: "Olm payload is for another device's Ed25519 key"
            case .senderKeyMismatch: "Olm payload's keys.ed25519 is not the sending device's key"
            case .senderDeviceMismatch: "Olm payload's sender_device is not the device of the sender key"
            }
        }
    }

    /// Checks a decrypted payload. `senderDevice` is the device we know under the Olm session's
    /// Curve25519 key, if we know one: its user, device ID and Ed25519 key must be the ones claimed.
    public static func check(
        _ payload: JSONObject, eventSender: String, ownUserID: String, ownEd25519: String, senderDevice: DeviceInfo?
    ) throws(Refusal) -> Checked {
        guard let type = payload["type"]?.stringValue else { throw .missingField("type") }
        guard let content = payload["content"]?.objectValue else { throw .missingField("content") }
        guard let sender = payload["sender"]?.stringValue else { throw .missingField("sender") }
        guard let recipient = payload["recipient"]?.stringValue else { throw .missingField("recipient") }
        guard let recipientKey = payload["recipient_keys"]?["ed25519"]?.stringValue else {
            throw .missingField("recipient_keys.ed25519")
        }
        guard let senderKey = payload["keys"]?["ed25519"]?.stringValue else { throw .missingField("keys.ed25519") }
        guard sender == eventSender else { throw .senderMismatch(claimed: sender, actual: eventSender) }
        guard recipient == ownUserID else { throw .recipientMismatch(recipient) }
        guard recipientKey == ownEd25519 else { throw .recipientKeyMismatch }
        let senderDeviceID = payload["sender_device"]?.stringValue
        if let senderDevice {
            guard senderDevice.userID == eventSender else {
                throw .senderMismatch(claimed: eventSender, actual: senderDevice.userID)
            }
            guard senderDevice.ed25519 == senderKey else { throw .senderKeyMismatch }
            if let senderDeviceID, senderDeviceID != senderDevice.deviceID { throw .senderDeviceMismatch }
        }
        return Checked(type: type, content: content, senderDevice: senderDeviceID, senderEd25519: senderKey)
    }
}
