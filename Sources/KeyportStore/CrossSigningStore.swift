/// Cross-signing keys and signatures uploaded by users.
public protocol CrossSigningStore: Sendable {
    /// The user's current cross-signing keys by usage.
    func crossSigningKeys(userID: String) async throws -> [CrossSigningUsage: CrossSigningKeyRecord]

    /// The cross-signing keys of several users.
    func crossSigningKeys(userIDs: [String]) async throws -> [String: [CrossSigningUsage: CrossSigningKeyRecord]]

    /// Stores keys, replacing those of the same usage. A changed master or self-signing key records
    /// a `crossSigning` change; a changed user-signing key only a `privateToUser` change. Replacing
    /// the master key drops signatures made over the old keys.
    func setCrossSigningKeys(userID: String, keys: [CrossSigningKeyRecord]) async throws

    /// Stores signatures, each replacing one with the same target and signer key. A signature over a
    /// device or a master key by its owner records a `crossSigning` change of the owner; a signature
    /// over another user's key records a `privateToUser` change of the signer.
    func addSignatures(_ signatures: [KeySignature]) async throws

    /// Signatures over the given users' keys.
    func signatures(targetUserIDs: [String]) async throws -> [KeySignature]
}
