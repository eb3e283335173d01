import MatrixModel
import MatrixSigning
import Testing

@Suite("Signing key vectors")
struct SigningKeyVectorTests {
    @Test("the spec seed gives the spec public key")
    func specPublicKey() throws {
        let vector = try #require(
            try Fixtures.specVectors(category: "signing_key").first { $0.id == "signing_key/public_key" })
        let input = try vector.object("input")
        let expected = try vector.object("expected")
        let keyVersion = try version(ofKeyID: try input.string("key_id"))
        let seed = try #require(Base64Unpadded.decode(try input.string("seed_base64")))
        #expect(seed.count == expected["seed_length_bytes"]?.intValue.map(Int.init))
        let key = try SigningKey(version: keyVersion, seed: seed)
        #expect(key.publicKeyBase64 == (try expected.string("public_key_base64")))
        #expect(key.keyID == "ed25519:1")
        #expect(key.seed == seed)
    }

    @Test("the fixture holds five key pairs")
    func keypairCount() throws {
        #expect(try Fixtures.specVectors(category: "ed25519_keypair").count == 5)
    }

    @Test("seeds give their public keys", arguments: try Fixtures.specVectors(category: "ed25519_keypair"))
    func keypair(vector: FixtureEntry) throws {
        let input = try vector.object("input")
        let expected = try vector.object("expected").string("public_key_base64")
        var seeds: [[UInt8]] = []
        if let base64 = input["seed_base64"]?.stringValue { seeds.append(try #require(Base64Unpadded.decode(base64))) }
        if let array = input["seed_bytes"]?.arrayValue {
            seeds.append(try array.map { try #require($0.intValue.flatMap(UInt8.init(exactly:))) })
        }
        try #require(!seeds.isEmpty)
        for seed in seeds {
            let key = try SigningKey(version: "x", seed: seed)
            #expect(key.publicKeyBase64 == expected)
        }
    }

    @Test("a seed that is not 32 bytes is refused")
    func badSeedLength() {
        #expect(throws: (any Error).self) { try SigningKey(version: "1", seed: [UInt8](repeating: 1, count: 31)) }
        #expect(throws: (any Error).self) { try SigningKey(version: "1", seed: [UInt8](repeating: 1, count: 33)) }
    }

    @Test("generated keys have Synapse-style versions and distinct seeds")
    func generate() throws {
        let first = SigningKey.generate()
        let second = SigningKey.generate()
        for key in [first, second] {
            #expect(key.version.hasPrefix("a_"))
            #expect(key.version.count == 6)
            #expect(key.version.dropFirst(2).allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) })
            #expect(key.seed.count == 32)
            #expect(Base64Unpadded.decode(key.publicKeyBase64)?.count == 32)
            let bytes = Array("hello".utf8)
            #expect(
                SignedJSON.verify(
                    bytes: bytes, signatureBase64: key.signature(for: bytes), publicKeyBase64: key.publicKeyBase64))
        }
        #expect(first.seed != second.seed)
    }
}
