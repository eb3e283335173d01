import MatrixModel
import MatrixSigning
import Testing

@Suite("Signing key file")
struct SigningKeyFileTests {
    @Test("a Synapse key line parses to the key it names")
    func parseSynapseLine() throws {
        let keys = try SigningKeyFile.parse("ed25519 a_AbCd \(specSeedBase64)\n")
        try #require(keys.count == 1)
        #expect(keys[0].version == "a_AbCd")
        #expect(keys[0].keyID == "ed25519:a_AbCd")
        #expect(keys[0].publicKeyBase64 == "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI")
    }

    @Test("format writes one Synapse line with the unpadded seed")
    func format() throws {
        let seed = [UInt8](0..<32)
        let key = try SigningKey(version: "a_Zz09", seed: seed)
        let line = SigningKeyFile.format(key)
        #expect(line == "ed25519 a_Zz09 \(Base64Unpadded.encode(seed))\n")
        #expect(line == "ed25519 a_Zz09 AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n")
        #expect(!line.contains("="))
    }

    @Test("format then parse gives back the same keys")
    func roundTrip() throws {
        let keys = [SigningKey.generate(), SigningKey.generate()]
        let parsed = try SigningKeyFile.parse(keys.map(SigningKeyFile.format).joined())
        #expect(parsed.map(\.version) == keys.map(\.version))
        #expect(parsed.map(\.seed) == keys.map(\.seed))
        #expect(parsed.map(\.publicKeyBase64) == keys.map(\.publicKeyBase64))
    }

    @Test("blank lines, extra spaces, CRLF and padded seeds are tolerated")
    func tolerant() throws {
        let text = "\n  ed25519   a_one   \(specSeedBase64)  \r\n\r\ned25519 a_two \(specSeedBase64)=\n\n"
        let keys = try SigningKeyFile.parse(text)
        #expect(keys.map(\.version) == ["a_one", "a_two"])
        #expect(keys.allSatisfy { $0.publicKeyBase64 == "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI" })
    }

    @Test(
        "malformed files throw",
        arguments: [
            "", "\n\n", "ed25519 a_x", "ed25519", "rsa a_x \(specSeedBase64)", "ED25519 a_x \(specSeedBase64)",
            "ed25519 a_x not-base64!", "ed25519 a_x AAECAwQFBgcICQoLDA0ODxA",
            "ed25519 a_x \(specSeedBase64) extra", "ed25519 a_x \(specSeedBase64)\ngarbage",
            "ed25519 a_x \(specSeedBase64)AAAA",
        ])
    func malformed(text: String) {
        #expect(throws: MatrixError.self) { try SigningKeyFile.parse(text) }
    }
}
