import KeyportClientCrypto
import MatrixModel

/// Olm-encrypted to-device messages (`m.room.encrypted`, `m.olm.v1.curve25519-aes-sha2`), inside
/// one store transaction: every session and account change is written back before the transaction
/// commits, with whatever the message caused, and nothing is written when a step throws.
public struct OlmChannel: Sendable {
    public static let algorithm = "m.olm.v1.curve25519-aes-sha2"

    public let userID: String
    public let deviceID: String

    public init(userID: String, deviceID: String) {
        self.userID = userID
        self.deviceID = deviceID
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case notForUs
        case unsupportedAlgorithm(String)
        case noSession(senderKey: String)
        case undecryptable(String)
        case payload(OlmPayload.Refusal)

        public var description: String {
            switch self {
            case .notForUs: "no ciphertext for this device's key"
            case .unsupportedAlgorithm(let algorithm): "unsupported to-device algorithm \(algorithm)"
            case .noSession(let key): "no Olm session with \(key) decrypts this message"
            case .undecryptable(let reason): "Olm message does not decrypt: \(reason)"
            case .payload(let refusal): refusal.description
            }
        }
    }

    /// Decrypts an `m.room.encrypted` to-device event from `sender`, checks its payload and saves
    /// the session (and the account, when a pre-key message used up a one-time key).
    public func decrypt(_ content: JSONObject, sender: String, in tx: StoreTransaction) throws -> (
        senderKey: String, payload: OlmPayload.Checked
    ) {
        let algorithm = content["algorithm"]?.stringValue ?? ""
        guard algorithm == Self.algorithm else { throw Failure.unsupportedAlgorithm(algorithm) }
        var account = try tx.requireAccount()
        guard let senderKey = content["sender_key"]?.stringValue,
            let mine = content["ciphertext"]?[account.curve25519Key.base64]?.objectValue,
            let type = mine["type"]?.intValue, let body = mine["body"]?.stringValue
        else { throw Failure.notForUs }
        let message: OlmMessage
        do { message = try OlmMessage(type: Int(type), body: body) } catch {
            throw Failure.undecryptable("\(error)")
        }
        var plaintext: [UInt8]?
        for var session in try tx.olmSessions(senderKey: senderKey) {
            if case .preKey(let preKey) = message, !session.matches(preKey) { continue }
            if let bytes = try? session.decrypt(message) {
                try tx.saveOlmSession(session, senderKey: senderKey)
                plaintext = bytes
                break
            }
        }
        if plaintext == nil, case .preKey(let preKey) = message {
            let identityKey = try Curve25519PublicKey(base64: senderKey)
            do {
                let (session, bytes) = try account.createInboundSession(theirIdentityKey: identityKey, message: preKey)
                try tx.saveOlmSession(session, senderKey: senderKey)
                try tx.saveAccount(account)
                plaintext = bytes
            } catch {
                throw Failure.undecryptable("\(error)")
            }
        }
        guard let plaintext else { throw Failure.noSession(senderKey: senderKey) }
        guard let payload = try? JSONParser(options: .lenient).parse(plaintext).objectValue else {
            throw Failure.undecryptable("the plaintext is not a JSON object")
        }
        do {
            let checked = try OlmPayload.check(
                payload, eventSender: sender, ownUserID: userID, ownEd25519: account.ed25519Key.base64,
                senderDevice: try tx.device(curve25519: senderKey))
            return (senderKey, checked)
        } catch let refusal as OlmPayload.Refusal {
            throw Failure.payload(refusal)
        }
    }

    /// Whether we hold an Olm session with `device`.
    public func hasSession(with device: DeviceInfo, in tx: StoreTransaction) throws -> Bool {
        !(try tx.olmSessions(senderKey: device.curve25519).isEmpty)
    }

    /// Starts a session with `device` from a one-time key it published, after checking the key's
    /// signature by the device's Ed25519 key.
    public func createSession(with device: DeviceInfo, signedOneTimeKey: JSONObject, in tx: StoreTransaction) throws {
        let check = SignatureCheckHelper.verify(
            signedOneTimeKey, userID: device.userID, deviceID: device.deviceID, ed25519: device.ed25519)
        guard check, let key = signedOneTimeKey["key"]?.stringValue else {
            throw ClientError.refused("one-time key of \(device.deviceID) is not signed by the device")
        }
        let account = try tx.requireAccount()
        let session = try account.createOutboundSession(
            identityKey: try Curve25519PublicKey(base64: device.curve25519),
            oneTimeKey: try Curve25519PublicKey(base64: key))
        try tx.saveOlmSession(session, senderKey: device.curve25519)
    }

    /// Encrypts one to-device event for `device` with the most recently used session, saving it.
    /// Returns the `m.room.encrypted` content.
    public func encrypt(type: String, content: JSONObject, for device: DeviceInfo, in tx: StoreTransaction) throws
        -> JSONObject
    {
        let account = try tx.requireAccount()
        guard var session = try tx.olmSessions(senderKey: device.curve25519).first else {
            throw Failure.noSession(senderKey: device.curve25519)
        }
        let payload = OlmPayload.make(
            type: type, content: content, sender: userID, senderDevice: deviceID,
            senderEd25519: account.ed25519Key.base64, recipient: device.userID, recipientEd25519: device.ed25519)
        let message = try session.encrypt(JSONWriter.bytes(.object(payload)))
        try tx.saveOlmSession(session, senderKey: device.curve25519)
        return [
            "algorithm": .string(Self.algorithm), "sender_key": .string(account.curve25519Key.base64),
            "ciphertext": [device.curve25519: ["type": .int(Int64(message.type)), "body": .string(message.body)]],
        ]
    }
}
