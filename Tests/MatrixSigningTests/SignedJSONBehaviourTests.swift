import MatrixModel
import MatrixSigning
import Testing

@Suite("SignedJSON behaviour")
struct SignedJSONBehaviourTests {
    let key = try! SigningKey(version: "1", seed: [UInt8](repeating: 1, count: 32))
    let other = try! SigningKey(version: "2", seed: [UInt8](repeating: 2, count: 32))
    let object: JSONObject = ["user_id": "@a:x", "keys": ["ed25519:D": "abc"]]

    @Test("signing keeps existing signatures of other entities and keys")
    func keepsSignatures() throws {
        let once = try SignedJSON.sign(object, entity: "@a:x", key: key)
        let twice = try SignedJSON.sign(once, entity: "@a:x", key: other)
        let thrice = try SignedJSON.sign(twice, entity: "server", key: key)
        let signatures = try #require(thrice["signatures"]?.objectValue)
        #expect(signatures["@a:x"]?.objectValue?.keys.sorted() == ["ed25519:1", "ed25519:2"])
        #expect(signatures["server"]?.objectValue?.keys.sorted() == ["ed25519:1"])
        for (entity, signer) in [("@a:x", key), ("@a:x", other), ("server", key)] {
            #expect(
                SignedJSON.verify(thrice, entity: entity, keyID: signer.keyID, publicKeyBase64: signer.publicKeyBase64)
                    == .valid)
        }
    }

    @Test("re-signing with the same key replaces the signature in place")
    func resign() throws {
        let once = try SignedJSON.sign(object, entity: "@a:x", key: key)
        let twice = try SignedJSON.sign(once, entity: "@a:x", key: key)
        #expect(twice["signatures"]?["@a:x"]?.objectValue?.count == 1)
        #expect(
            SignedJSON.verify(twice, entity: "@a:x", keyID: "ed25519:1", publicKeyBase64: key.publicKeyBase64) == .valid
        )
    }

    @Test("malformed signatures and keys are invalid, not missing")
    func malformed() throws {
        let signed = try SignedJSON.sign(object, entity: "@a:x", key: key)
        let good = try #require(signed["signatures"]?["@a:x"]?["ed25519:1"]?.stringValue)
        for bad: JSONValue in [1, "not base64!", .string(String(good.dropLast(4))), ["nested": "x"]] {
            var copy = signed
            copy["signatures"] = ["@a:x": ["ed25519:1": bad]]
            #expect(
                isInvalid(
                    SignedJSON.verify(copy, entity: "@a:x", keyID: "ed25519:1", publicKeyBase64: key.publicKeyBase64)))
        }
        for badKey in ["", "short", String(key.publicKeyBase64.dropLast(2))] {
            #expect(isInvalid(SignedJSON.verify(signed, entity: "@a:x", keyID: "ed25519:1", publicKeyBase64: badKey)))
        }
        #expect(!SignedJSON.verify(bytes: [1], signatureBase64: good, publicKeyBase64: "short"))
        #expect(!SignedJSON.verify(bytes: [1], signatureBase64: "short", publicKeyBase64: key.publicKeyBase64))
    }

    @Test("objects without a canonical form cannot be signed and do not verify")
    func noCanonicalForm() throws {
        var floaty = object
        floaty["n"] = .double(0.5)
        #expect(throws: JSONWriter.CanonicalError.floatNotAllowed) {
            try SignedJSON.sign(floaty, entity: "@a:x", key: key)
        }
        var signed = try SignedJSON.sign(object, entity: "@a:x", key: key)
        signed["n"] = .int(JSONValue.maxSafeInteger + 1)
        #expect(
            isInvalid(
                SignedJSON.verify(signed, entity: "@a:x", keyID: "ed25519:1", publicKeyBase64: key.publicKeyBase64)))
    }

    @Test("changing a signed value or signing as another entity breaks verification")
    func tamper() throws {
        let signed = try SignedJSON.sign(object, entity: "@a:x", key: key)
        var changed = signed
        changed["keys"] = ["ed25519:D": "abd"]
        #expect(
            isInvalid(
                SignedJSON.verify(changed, entity: "@a:x", keyID: "ed25519:1", publicKeyBase64: key.publicKeyBase64)))
        #expect(
            isInvalid(
                SignedJSON.verify(signed, entity: "@a:x", keyID: "ed25519:1", publicKeyBase64: other.publicKeyBase64)))
        #expect(
            SignedJSON.verify(signed, entity: "@b:x", keyID: "ed25519:1", publicKeyBase64: key.publicKeyBase64)
                == .missing)
    }
}
