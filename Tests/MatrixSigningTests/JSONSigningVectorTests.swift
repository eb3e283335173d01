import MatrixModel
import MatrixSigning
import Testing

@Suite("JSON signing vectors")
struct JSONSigningVectorTests {
    /// The key, entity and key ID a `json_signing` vector signs with.
    struct Signer {
        let key: SigningKey
        let entity: String
        let keyID: String

        init(_ vector: FixtureEntry) throws {
            let signing = try vector.object("signing")
            keyID = try signing.string("key_id")
            entity = try signing.string("server_name")
            key = try signingKey(seedBase64: try signing.string("seed_base64"), version: try version(ofKeyID: keyID))
        }
    }

    @Test("the fixture holds two JSON signing and two X-Matrix vectors")
    func counts() throws {
        #expect(try Fixtures.specVectors(category: "json_signing").count == 2)
        #expect(try Fixtures.specVectors(category: "x_matrix_auth").count == 2)
    }

    @Test(
        "signing bytes are the canonical form without signatures",
        arguments: try Fixtures.specVectors(category: "json_signing"))
    func signingBytes(vector: FixtureEntry) throws {
        let expectedBytes = Array(try vector.string("signed_bytes").utf8)
        #expect(try SignedJSON.signingBytes(of: try vector.object("input")) == expectedBytes)
        #expect(try SignedJSON.signingBytes(of: try vector.object("expected")) == expectedBytes)
    }

    @Test("sign gives exactly the expected object", arguments: try Fixtures.specVectors(category: "json_signing"))
    func sign(vector: FixtureEntry) throws {
        let signer = try Signer(vector)
        let expected = try vector.object("expected")
        let signed = try SignedJSON.sign(try vector.object("input"), entity: signer.entity, key: signer.key)
        let expectedSignature = try expected.object("signatures").object(signer.entity).string(signer.keyID)
        let actualSignature = try signed.object("signatures").object(signer.entity).string(signer.keyID)
        expectSameSignature(
            actualSignature, expectedSignature, bytes: Array(try vector.string("signed_bytes").utf8),
            publicKeyBase64: signer.key.publicKeyBase64)
        #if !canImport(CryptoKit)
            #expect(signed == expected)
        #endif
        var withoutSignatures = signed
        withoutSignatures["signatures"] = nil
        #expect(withoutSignatures == (try vector.object("input")))
    }

    @Test(
        "the expected object verifies; tampering, a wrong key or no signature do not",
        arguments: try Fixtures.specVectors(category: "json_signing"))
    func verify(vector: FixtureEntry) throws {
        let signer = try Signer(vector)
        let expected = try vector.object("expected")
        let publicKey = signer.key.publicKeyBase64
        #expect(
            SignedJSON.verify(expected, entity: signer.entity, keyID: signer.keyID, publicKeyBase64: publicKey)
                == .valid)

        var tampered = expected
        tampered["extra"] = "field"
        #expect(
            isInvalid(
                SignedJSON.verify(tampered, entity: signer.entity, keyID: signer.keyID, publicKeyBase64: publicKey)))

        let otherKey = try SigningKey(version: "1", seed: [UInt8](repeating: 7, count: 32))
        #expect(
            isInvalid(
                SignedJSON.verify(
                    expected, entity: signer.entity, keyID: signer.keyID, publicKeyBase64: otherKey.publicKeyBase64)))

        #expect(
            SignedJSON.verify(expected, entity: "other", keyID: signer.keyID, publicKeyBase64: publicKey) == .missing)
        #expect(
            SignedJSON.verify(expected, entity: signer.entity, keyID: "ed25519:2", publicKeyBase64: publicKey)
                == .missing)
        #expect(
            SignedJSON.verify(
                try vector.object("input"), entity: signer.entity, keyID: signer.keyID, publicKeyBase64: publicKey)
                == .missing)
    }

    @Test(
        "unsigned is excluded from signing and verification",
        arguments: try Fixtures.specVectors(category: "json_signing"))
    func unsignedExcluded(vector: FixtureEntry) throws {
        let signer = try Signer(vector)
        var input = try vector.object("input")
        let plainBytes = try SignedJSON.signingBytes(of: input)
        input["unsigned"] = ["age_ts": 1000, "note": "not covered"]
        #expect(try SignedJSON.signingBytes(of: input) == plainBytes)

        var expected = try vector.object("expected")
        expected["unsigned"] = ["transaction_id": "txn"]
        #expect(
            SignedJSON.verify(
                expected, entity: signer.entity, keyID: signer.keyID, publicKeyBase64: signer.key.publicKeyBase64)
                == .valid)

        let signed = try SignedJSON.sign(input, entity: signer.entity, key: signer.key)
        #expect(signed["unsigned"] == ["age_ts": 1000, "note": "not covered"])
        #expect(
            SignedJSON.verify(
                signed, entity: signer.entity, keyID: signer.keyID, publicKeyBase64: signer.key.publicKeyBase64)
                == .valid)
    }

    @Test(
        "X-Matrix request objects sign to the expected signature",
        arguments: try Fixtures.specVectors(category: "x_matrix_auth"))
    func xMatrix(vector: FixtureEntry) throws {
        let key = try signingKey(seedBase64: specSeedBase64, version: "1")
        let bytes = try SignedJSON.signingBytes(of: try vector.object("input"))
        #expect(bytes == Array(try vector.string("signed_bytes").utf8))
        let expected = try vector.object("expected").string("signature")
        expectSameSignature(key.signature(for: bytes), expected, bytes: bytes, publicKeyBase64: key.publicKeyBase64)
        #expect(SignedJSON.verify(bytes: bytes, signatureBase64: expected, publicKeyBase64: key.publicKeyBase64))
        #expect(
            !SignedJSON.verify(bytes: bytes + [0x20], signatureBase64: expected, publicKeyBase64: key.publicKeyBase64))
    }
}
