// The Swift side of scripts/crypto_oracle.sh: one JSON command per line on stdin, one JSON answer
// per line on stdout. The Python driver plays the other side with vodozemac and compares. Every
// state is written to JSON and read back after each command, as a client persists it, so the
// oracle checks the pickles too.
import Foundation
import KeyportClientCrypto
import MatrixModel

struct OracleError: Error {
    let message: String
}

/// Everything the driver created, by the name it gave, held only as JSON between commands.
struct Store {
    private var stored: [String: Data] = [:]

    func load<T: Codable>(_ type: T.Type, _ name: String) throws -> T {
        guard let data = stored[name] else { throw OracleError(message: "no state named \(name)") }
        return try JSONDecoder().decode(T.self, from: data)
    }

    mutating func save(_ value: some Codable, _ name: String) throws {
        stored[name] = try JSONEncoder().encode(value)
    }
}

func string(_ command: [String: Any], _ key: String) throws -> String {
    guard let value = command[key] as? String else { throw OracleError(message: "missing string \(key)") }
    return value
}

func integer(_ command: [String: Any], _ key: String) throws -> Int {
    guard let value = command[key] as? Int else { throw OracleError(message: "missing integer \(key)") }
    return value
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

func run(_ command: [String: Any], _ store: inout Store) throws -> [String: Any] {
    let op = try string(command, "op")
    switch op {
    case "account_new":
        let account = OlmAccount()
        try store.save(account, try string(command, "account"))
        return ["curve25519": account.curve25519Key.base64, "ed25519": account.ed25519Key.base64]
    case "account_one_time_keys":
        let name = try string(command, "account")
        var account = try store.load(OlmAccount.self, name)
        account.generateOneTimeKeys(try integer(command, "count"))
        let keys = account.unpublishedOneTimeKeys
        account.markKeysAsPublished()
        try store.save(account, name)
        return ["keys": Dictionary(uniqueKeysWithValues: keys.map { ($0.key.base64, $0.value.base64) })]
    case "account_fallback_key":
        let name = try string(command, "account")
        var account = try store.load(OlmAccount.self, name)
        account.generateFallbackKey()
        guard let fallback = account.unpublishedFallbackKey else { throw OracleError(message: "no fallback key") }
        account.markKeysAsPublished()
        try store.save(account, name)
        return ["key": fallback.key.base64]
    case "account_sign":
        let account = try store.load(OlmAccount.self, try string(command, "account"))
        return ["signature": Base64Unpadded.encode(account.sign(Array(try string(command, "message").utf8)))]
    case "verify_ed25519":
        let key = try Ed25519PublicKey(base64: try string(command, "key"))
        let signature = Base64Unpadded.decode(try string(command, "signature")) ?? []
        return ["valid": key.verify(Array(try string(command, "message").utf8), signature: signature)]
    case "olm_outbound":
        let account = try store.load(OlmAccount.self, try string(command, "account"))
        let session = try account.createOutboundSession(
            identityKey: try Curve25519PublicKey(base64: try string(command, "identity_key")),
            oneTimeKey: try Curve25519PublicKey(base64: try string(command, "one_time_key")))
        try store.save(session, try string(command, "session"))
        return ["session_id": session.sessionID]
    case "olm_inbound":
        let accountName = try string(command, "account")
        var account = try store.load(OlmAccount.self, accountName)
        guard case .preKey(let message) = try OlmMessage(type: 0, body: try string(command, "body")) else {
            throw OracleError(message: "not a pre-key message")
        }
        let (session, plaintext) = try account.createInboundSession(
            theirIdentityKey: try Curve25519PublicKey(base64: try string(command, "identity_key")), message: message)
        try store.save(account, accountName)
        try store.save(session, try string(command, "session"))
        return ["session_id": session.sessionID, "plaintext": text(plaintext)]
    case "olm_encrypt":
        let name = try string(command, "session")
        var session = try store.load(OlmSession.self, name)
        let message = try session.encrypt(Array(try string(command, "plaintext").utf8))
        try store.save(session, name)
        return ["type": message.type, "body": message.body]
    case "olm_decrypt":
        let name = try string(command, "session")
        var session = try store.load(OlmSession.self, name)
        let message = try OlmMessage(type: try integer(command, "type"), body: try string(command, "body"))
        if case .preKey(let preKey) = message, !session.matches(preKey) {
            throw OracleError(message: "pre-key message does not match the session")
        }
        let plaintext = try session.decrypt(message)
        try store.save(session, name)
        return ["plaintext": text(plaintext), "session_id": session.sessionID]
    case "megolm_outbound":
        let session = MegolmOutboundSession()
        try store.save(session, try string(command, "session"))
        return ["session_id": session.sessionID, "session_key": session.sessionKey]
    case "megolm_encrypt":
        let name = try string(command, "session")
        var session = try store.load(MegolmOutboundSession.self, name)
        let message = session.encrypt(Array(try string(command, "plaintext").utf8))
        try store.save(session, name)
        return ["message": message.base64, "index": Int(message.messageIndex)]
    case "megolm_inbound":
        let session: MegolmInboundSession
        if let key = command["session_key"] as? String {
            session = try MegolmInboundSession(sessionKey: key)
        } else {
            session = try MegolmInboundSession(exportedKey: try string(command, "exported_key"))
        }
        try store.save(session, try string(command, "session"))
        return ["session_id": session.sessionID, "first_known_index": Int(session.firstKnownIndex)]
    case "megolm_decrypt":
        let name = try string(command, "session")
        var session = try store.load(MegolmInboundSession.self, name)
        let (plaintext, index) = try session.decrypt(base64: try string(command, "message"))
        try store.save(session, name)
        return ["plaintext": text(plaintext), "index": Int(index)]
    case "megolm_export_at":
        let name = try string(command, "session")
        var session = try store.load(MegolmInboundSession.self, name)
        let exported = session.export(at: UInt32(try integer(command, "index")))
        try store.save(session, name)
        return ["exported_key": exported ?? NSNull()]
    default:
        throw OracleError(message: "unknown op \(op)")
    }
}

var store = Store()
while let line = readLine() {
    var answer: [String: Any]
    do {
        guard let command = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw OracleError(message: "a command is a JSON object")
        }
        answer = try run(command, &store)
    } catch let error as ClientCryptoError {
        answer = ["error": "\(error)"]
    } catch let error as OracleError {
        answer = ["error": error.message]
    } catch {
        answer = ["error": "\(error)"]
    }
    let data = try JSONSerialization.data(withJSONObject: answer, options: [.sortedKeys])
    // Unbuffered, so the driver reads each answer as soon as it is written.
    FileHandle.standardOutput.write(data + Data("\n".utf8))
}
