/// An Olm session: the double ratchet between two devices (docs/olm.md), state for state as
/// vodozemac keeps it. A value type: `encrypt` and `decrypt` are mutating and change nothing when
/// they throw, and the caller persists the session (it is `Codable`) after every call that
/// returns, so that a crash never reuses a message key.
public struct OlmSession: Sendable, Codable {
    /// vodozemac keeps the chains of the five most recent ratchet keys of the other side.
    public static let maxReceiverChains = 5

    /// Our sending side. Active: we hold a ratchet key pair and a chain to send on. Inactive: we
    /// received a new ratchet key from the other side and will make our own key pair when we next
    /// send.
    enum SendingRatchet: Sendable, Codable {
        case active(root: Base64Bytes, ratchetKey: Curve25519KeyPair, chain: ChainKey)
        case inactive(root: Base64Bytes, theirRatchetKey: Curve25519PublicKey)
    }

    public let sessionKeys: OlmSessionKeys
    var sending: SendingRatchet
    var receiverChains: [ReceiverChain]

    /// The initiator's session, from the 3DH secret (Alice's side).
    init(sessionKeys: OlmSessionKeys, sharedSecret: [UInt8]) {
        let (root, chain) = OlmKDF.initialKeys(sharedSecret: sharedSecret)
        self.sessionKeys = sessionKeys
        sending = .active(root: Base64Bytes(root), ratchetKey: Curve25519KeyPair(), chain: ChainKey(key: chain))
        receiverChains = []
    }

    /// The receiver's session, from the 3DH secret and the ratchet key of the first message.
    init(sessionKeys: OlmSessionKeys, sharedSecret: [UInt8], theirRatchetKey: Curve25519PublicKey) {
        let (root, chain) = OlmKDF.initialKeys(sharedSecret: sharedSecret)
        self.sessionKeys = sessionKeys
        sending = .inactive(root: Base64Bytes(root), theirRatchetKey: theirRatchetKey)
        receiverChains = [ReceiverChain(ratchetKey: theirRatchetKey, chainKey: chain)]
    }

    /// vodozemac's session ID, equal on both sides.
    public var sessionID: String { sessionKeys.sessionID }

    /// Whether the other side has answered: until then every message is a pre-key message.
    public var hasReceivedMessage: Bool { !receiverChains.isEmpty }

    /// Whether a pre-key message belongs to this session (same three keys).
    public func matches(_ message: OlmPreKeyMessage) -> Bool { message.sessionKeys == sessionKeys }

    /// Encrypts one message, moving the sending chain on by one (and the root ratchet first when
    /// the other side has sent a new ratchet key since our last message).
    public mutating func encrypt(_ plaintext: [UInt8]) throws(ClientCryptoError) -> OlmMessage {
        var root: Base64Bytes
        var ratchetKey: Curve25519KeyPair
        var chain: ChainKey
        switch sending {
        case .active(let activeRoot, let activeKey, let activeChain):
            (root, ratchetKey, chain) = (activeRoot, activeKey, activeChain)
        case .inactive(let remoteRoot, let theirRatchetKey):
            ratchetKey = Curve25519KeyPair()
            let keys = try OlmKDF.ratchetKeys(root: remoteRoot.bytes, ours: ratchetKey, theirs: theirRatchetKey)
            root = Base64Bytes(keys.root)
            chain = ChainKey(key: keys.chain)
        }
        let (index, messageKey) = chain.nextMessageKey()
        let message = OlmCipher.encrypt(
            plaintext, messageKey: messageKey, ratchetKey: ratchetKey.publicKey, index: index)
        sending = .active(root: root, ratchetKey: ratchetKey, chain: chain)
        if hasReceivedMessage { return .normal(message) }
        return .preKey(OlmPreKeyMessage(sessionKeys: sessionKeys, message: message))
    }

    /// Decrypts a pre-key or normal message of this session.
    public mutating func decrypt(_ message: OlmMessage) throws(ClientCryptoError) -> [UInt8] {
        try decrypt(message.normalMessage)
    }

    mutating func decrypt(_ message: OlmNormalMessage) throws(ClientCryptoError) -> [UInt8] {
        if let position = receiverChains.firstIndex(where: { $0.ratchetKey == message.ratchetKey }) {
            let (chain, plaintext) = try receiverChains[position].decrypting(message)
            receiverChains[position] = chain
            return plaintext
        }
        // A new ratchet key from the other side: a root ratchet step with the key pair we last
        // sent with (made now, if the other side spoke last and we have not answered yet).
        let ourRoot: [UInt8]
        let ourKey: Curve25519KeyPair
        switch sending {
        case .active(let root, let ratchetKey, _):
            (ourRoot, ourKey) = (root.bytes, ratchetKey)
        case .inactive(let remoteRoot, let theirRatchetKey):
            ourKey = Curve25519KeyPair()
            ourRoot = try OlmKDF.ratchetKeys(root: remoteRoot.bytes, ours: ourKey, theirs: theirRatchetKey).root
        }
        let keys = try OlmKDF.ratchetKeys(root: ourRoot, ours: ourKey, theirs: message.ratchetKey)
        let (chain, plaintext) = try ReceiverChain(ratchetKey: message.ratchetKey, chainKey: keys.chain)
            .decrypting(message)
        sending = .inactive(root: Base64Bytes(keys.root), theirRatchetKey: message.ratchetKey)
        if receiverChains.count >= Self.maxReceiverChains { receiverChains.removeFirst() }
        receiverChains.append(chain)
        return plaintext
    }
}
