import MatrixModel
import MatrixSigning
import Testing

/// `derived/cross_signing_chain`: a device self-signature, the self-signing and user-signing keys
/// signed by the master key, and the device signed by the self-signing key.
@Suite("Cross-signing chain vector")
struct CrossSigningChainTests {
    let input: JSONObject
    let expected: JSONObject
    let userID: String
    let deviceKey: SigningKey
    let master: SigningKey
    let selfSigning: SigningKey
    let userSigning: SigningKey

    init() throws {
        let vector = try #require(
            try Fixtures.specVectors(category: "cross_signing").first { $0.id == "derived/cross_signing_chain" })
        input = try vector.object("input")
        expected = try vector.object("expected")
        userID = try input.string("user_id")
        deviceKey = try signingKey(
            seedBase64: try input.string("device_ed25519_seed_base64"), version: try input.string("device_id"))
        master = try Self.crossSigningKey(input.string("master_seed_base64"))
        selfSigning = try Self.crossSigningKey(input.string("self_signing_seed_base64"))
        userSigning = try Self.crossSigningKey(input.string("user_signing_seed_base64"))
    }

    /// Cross-signing keys are named by their own public key: `ed25519:<unpadded base64 public key>`.
    static func crossSigningKey(_ seedBase64: String) throws -> SigningKey {
        let probe = try signingKey(seedBase64: seedBase64, version: "")
        return SigningKey(version: probe.publicKeyBase64, privateKey: probe.privateKey)
    }

    func signature(_ object: JSONObject, by key: SigningKey) throws -> String {
        try object.object("signatures").object(userID).string(key.keyID)
    }

    @Test("device keys: signing bytes and self-signature")
    func deviceSelfSignature() throws {
        let unsigned = try input.object("unsigned_device_keys")
        let bytes = try SignedJSON.signingBytes(of: unsigned)
        #expect(bytes == Array(try expected.string("signed_bytes_device_keys").utf8))
        #expect(try unsigned.object("keys").string(deviceKey.keyID) == deviceKey.publicKeyBase64)

        let selfSigned = try SignedJSON.sign(unsigned, entity: userID, key: deviceKey)
        let want = try expected.object("device_keys_self_signed")
        expectSameSignature(
            try signature(selfSigned, by: deviceKey), try signature(want, by: deviceKey), bytes: bytes,
            publicKeyBase64: deviceKey.publicKeyBase64)
        #if !canImport(CryptoKit)
            #expect(selfSigned == want)
        #endif
        #expect(
            SignedJSON.verify(want, entity: userID, keyID: deviceKey.keyID, publicKeyBase64: deviceKey.publicKeyBase64)
                == .valid)
    }

    @Test("the self-signing key's signature over the self-signed device keys")
    func deviceCrossSignature() throws {
        let selfSigned = try expected.object("device_keys_self_signed")
        let crossSigned = try SignedJSON.sign(selfSigned, entity: userID, key: selfSigning)
        let want = try expected.object("device_keys_self_and_cross_signed")
        expectSameSignature(
            try signature(crossSigned, by: selfSigning), try signature(want, by: selfSigning),
            bytes: try SignedJSON.signingBytes(of: selfSigned), publicKeyBase64: selfSigning.publicKeyBase64)
        #if !canImport(CryptoKit)
            #expect(crossSigned == want)
        #endif
        #expect(try signature(crossSigned, by: deviceKey) == (try signature(want, by: deviceKey)))
        for key in [deviceKey, selfSigning] {
            #expect(
                SignedJSON.verify(want, entity: userID, keyID: key.keyID, publicKeyBase64: key.publicKeyBase64)
                    == .valid)
        }
        #expect(
            isInvalid(
                SignedJSON.verify(
                    want, entity: userID, keyID: selfSigning.keyID, publicKeyBase64: master.publicKeyBase64)))
        let uploaded = try expected.object("keys_signatures_upload_body").object(userID).object(
            try input.string("device_id"))
        #expect(uploaded == want)
    }

    @Test("master, self-signing and user-signing key objects")
    func crossSigningKeys() throws {
        let body = try expected.object("keys_device_signing_upload_body")
        let cases: [(field: String, usage: String, key: SigningKey)] = [
            ("master_key", "master", master), ("self_signing_key", "self_signing", selfSigning),
            ("user_signing_key", "user_signing", userSigning),
        ]
        for (field, usage, key) in cases {
            let object = try body.object(field)
            #expect(object["user_id"] == .string(userID))
            #expect(object["usage"] == [.string(usage)])
            #expect(object["keys"] == [key.keyID: .string(key.publicKeyBase64)])
        }
        #expect(try body.object("master_key")["signatures"] == nil)

        for (field, key) in [("self_signing_key", selfSigning), ("user_signing_key", userSigning)] {
            let want = try body.object(field)
            var unsigned = want
            unsigned["signatures"] = nil
            let signed = try SignedJSON.sign(unsigned, entity: userID, key: master)
            expectSameSignature(
                try signature(signed, by: master), try signature(want, by: master),
                bytes: try SignedJSON.signingBytes(of: unsigned), publicKeyBase64: master.publicKeyBase64)
            #if !canImport(CryptoKit)
                #expect(signed == want)
            #endif
            #expect(
                SignedJSON.verify(want, entity: userID, keyID: master.keyID, publicKeyBase64: master.publicKeyBase64)
                    == .valid)
            #expect(
                SignedJSON.verify(want, entity: userID, keyID: key.keyID, publicKeyBase64: key.publicKeyBase64)
                    == .missing)
        }
    }
}
