import MatrixModel
import MatrixSigning
import Testing

/// The spec's test key `ed25519:1` of server `domain`.
let specSeedBase64 = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1"

/// A key from an unpadded base64 seed; the seed must be 32 bytes.
func signingKey(seedBase64: String, version: String) throws -> SigningKey {
    let seed = try #require(Base64Unpadded.decode(seedBase64))
    try #require(seed.count == 32)
    return try SigningKey(version: version, seed: seed)
}

/// The version part of `ed25519:<version>`.
func version(ofKeyID keyID: String) throws -> String {
    try #require(keyID.hasPrefix("ed25519:"))
    return String(keyID.dropFirst("ed25519:".count))
}

/// Compares a fresh Ed25519 signature with a recorded one.
///
/// swift-crypto's BoringSSL backend (Linux) signs deterministically (RFC 8032), so signatures must
/// match byte for byte. CryptoKit on Apple platforms randomises signatures; there only validity is
/// checked.
func expectSameSignature(
    _ actual: String, _ expected: String, bytes: [UInt8], publicKeyBase64: String,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #if canImport(CryptoKit)
        #expect(
            SignedJSON.verify(bytes: bytes, signatureBase64: actual, publicKeyBase64: publicKeyBase64),
            sourceLocation: sourceLocation)
    #else
        #expect(actual == expected, sourceLocation: sourceLocation)
    #endif
}

/// True for `.invalid(_)` whatever the reason.
func isInvalid(_ check: SignatureCheck) -> Bool {
    if case .invalid = check { return true }
    return false
}
