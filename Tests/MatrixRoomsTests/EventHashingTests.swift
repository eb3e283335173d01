import Foundation
import MatrixModel
import MatrixRooms
import MatrixSigning
import Testing

/// Content hashes, signatures over the redacted event, and the spec's signing examples
/// (../shared/vectors/matrix_spec_vectors.json, copied to Fixtures/spec; from the spec's appendix).
@Suite("Event hashing and signing")
struct EventHashingTests {
    static func vectors() throws -> [JSONObject] {
        let file = try RoomFixtures.parse(try RoomFixtures.root.appendingPathComponent("spec/matrix_spec_vectors.json"))
        let all = try #require(file["vectors"]?.arrayValue).compactMap(\.objectValue)
        return all.filter { $0["category"] == "event_signing" }
    }

    @Test("The spec's event signing examples: content hash and signature (v10 rules keep origin)")
    func specExamples() throws {
        let vectors = try Self.vectors()
        #expect(vectors.count == 2)
        for vector in vectors {
            let input = try #require(vector["input"]?.objectValue)
            let expected = try #require(vector["expected"]?.objectValue)
            let signing = try #require(vector["signing"]?.objectValue)
            let seedText = try #require(signing["seed_base64"]?.stringValue)
            let seed = try #require(Base64Unpadded.decode(seedText))
            let keyID = try #require(signing["key_id"]?.stringValue)
            let key = try SigningKey(version: String(keyID.dropFirst("ed25519:".count)), seed: seed)
            let signed = try PDUSigning.hashAndSign(input, version: .v10, serverName: "domain", key: key)
            #expect(signed == expected)
            #expect(EventHashes.contentHashMatches(signed))
        }
    }

    @Test("Signatures cover the redacted event: they survive redaction and break when kept keys change")
    func signaturesCoverRedactedForm() throws {
        let key = SigningKey.generate()
        let object: JSONObject = [
            "type": "m.room.message", "sender": "@a:a.test", "room_id": "!r:a.test", "content": ["body": "hi"],
            "origin_server_ts": 5, "depth": 3, "prev_events": [], "auth_events": [], "signatures": [:],
        ]
        let lookup: (String, String) -> String? = { server, keyID in
            server == "a.test" && keyID == key.keyID ? key.publicKeyBase64 : nil
        }
        for version in RoomVersion.supported {
            let signed = try PDUSigning.hashAndSign(object, version: version, serverName: "a.test", key: key)
            let pdu = try PDU(parsing: signed, roomVersion: version)
            #expect(PDUSigning.firstSignatureFailure(pdu, publicKey: lookup) == nil)
            let redacted = try PDU(
                parsing: Redaction.redact(signed, rules: version.redactionRules), roomVersion: version)
            #expect(PDUSigning.firstSignatureFailure(redacted, publicKey: lookup) == nil)
            #expect(redacted.eventID == pdu.eventID, "the ID is the same after redaction")
            #expect(!EventHashes.contentHashMatches(redacted.object))
            var tampered = signed
            tampered["origin_server_ts"] = 6
            let forged = try PDU(parsing: tampered, roomVersion: version)
            #expect(PDUSigning.firstSignatureFailure(forged, publicKey: lookup)?.server == "a.test")
            // A resident's signature is required when asked for.
            #expect(
                PDUSigning.firstSignatureFailure(pdu, alsoRequired: ["b.test"], publicKey: lookup)?.server == "b.test")
        }
    }

    @Test("A restricted join must carry the authorising server's signature")
    func restrictedJoinSigners() throws {
        let pdu = try PDU(
            parsing: [
                "type": "m.room.member", "state_key": "@b:b.test", "sender": "@b:b.test", "room_id": "!r:a.test",
                "content": ["membership": "join", "join_authorised_via_users_server": "@a:a.test"],
                "origin_server_ts": 5, "depth": 3, "prev_events": [], "auth_events": [], "hashes": [:],
                "signatures": [:],
            ], roomVersion: .v11)
        #expect(PDUSigning.requiredSigners(of: pdu) == ["a.test", "b.test"])
    }
}
