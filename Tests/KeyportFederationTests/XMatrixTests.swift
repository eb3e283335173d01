import Foundation
import KeyportFederation
import KeyportServices
import KeyportStore
import MatrixModel
import MatrixSigning
import Testing

/// The `X-Matrix` header and the request signature, against the derived vectors in
/// `matrix_spec_vectors.json` (signed with the spec's test key by signedjson).
struct XMatrixTests {
    struct Vector {
        var method: String
        var uri: String
        var origin: String
        var destination: String
        var content: JSONValue?
        var signedBytes: String
        var signature: String
        var header: String
    }

    static func fixture() throws -> (key: SigningKey, vectors: [Vector]) {
        let url = try #require(
            Bundle.module.url(forResource: "matrix_spec_vectors", withExtension: "json", subdirectory: "Fixtures"))
        let root = try #require(try JSONParser(options: .lenient).parse(Array(try Data(contentsOf: url))).objectValue)
        let keyInfo = try #require(root["signing_key"]?.objectValue)
        let seedText = try #require(keyInfo["seed_base64"]?.stringValue)
        let seed = try #require(Base64Unpadded.decode(seedText))
        let key = try SigningKey(version: "1", seed: Array(seed))
        var vectors: [Vector] = []
        for entry in root["vectors"]?.arrayValue ?? [] {
            guard let object = entry.objectValue, object["category"]?.stringValue == "x_matrix_auth",
                let input = object["input"]?.objectValue, let expected = object["expected"]?.objectValue
            else { continue }
            vectors.append(
                Vector(
                    method: input["method"]?.stringValue ?? "", uri: input["uri"]?.stringValue ?? "",
                    origin: input["origin"]?.stringValue ?? "", destination: input["destination"]?.stringValue ?? "",
                    content: input["content"], signedBytes: object["signed_bytes"]?.stringValue ?? "",
                    signature: expected["signature"]?.stringValue ?? "",
                    header: expected["authorization_header"]?.stringValue ?? ""))
        }
        return (key, vectors)
    }

    @Test func signsTheVectorsExactly() throws {
        let (key, vectors) = try Self.fixture()
        #expect(vectors.count == 2)
        for vector in vectors {
            let bytes = try RequestSignature.signedBytes(
                method: vector.method, uri: vector.uri, origin: vector.origin, destination: vector.destination,
                content: vector.content)
            #expect(String(decoding: bytes, as: UTF8.self) == vector.signedBytes)
            let authorization = try RequestSignature.authorization(
                method: vector.method, uri: vector.uri, origin: vector.origin, destination: vector.destination,
                content: vector.content, key: key)
            #expect(authorization.signature == vector.signature)
            #expect(authorization.headerValue == vector.header)
        }
    }

    @Test func verifiesTheVectorsAndRejectsAnyChange() throws {
        let (key, vectors) = try Self.fixture()
        for vector in vectors {
            let header = try #require(XMatrixAuthorization(header: vector.header))
            func check(method: String? = nil, uri: String? = nil, content: JSONValue?? = nil) -> Bool {
                RequestSignature.verify(
                    header, method: method ?? vector.method, uri: uri ?? vector.uri,
                    content: content ?? vector.content, publicKeyBase64: key.publicKeyBase64)
            }
            #expect(check())
            #expect(!check(method: "DELETE"))
            #expect(!check(uri: vector.uri + "?x=1"))
            #expect(!check(content: .some(.object(["other": true]))))
            var wrongDestination = header
            wrongDestination.destination = "elsewhere.example"
            #expect(
                !RequestSignature.verify(
                    wrongDestination, method: vector.method, uri: vector.uri, content: vector.content,
                    publicKeyBase64: key.publicKeyBase64))
            let otherKey = SigningKey.generate()
            #expect(
                !RequestSignature.verify(
                    header, method: vector.method, uri: vector.uri, content: vector.content,
                    publicKeyBase64: otherKey.publicKeyBase64))
        }
    }

    @Test func parsesHeadersAsRFC9110Allows() throws {
        let spaced = try #require(
            XMatrixAuthorization(
                header:
                    #"x-matrix  Origin=origin.example ,  KEY="ed25519:a\"b", sig="c2ln" , destination="d.example", extra=1"#
            ))
        #expect(spaced.origin == "origin.example")
        #expect(spaced.keyID == #"ed25519:a"b"#)
        #expect(spaced.signature == "c2ln")
        #expect(spaced.destination == "d.example")
        let noDestination = try #require(XMatrixAuthorization(header: #"X-Matrix origin="o",key="ed25519:1",sig="s""#))
        #expect(noDestination.destination == nil)
        let unquotedColon = try #require(
            XMatrixAuthorization(header: "X-Matrix origin=o.example:8448,key=ed25519:1,sig=abc"))
        #expect(unquotedColon.origin == "o.example:8448")
        #expect(unquotedColon.keyID == "ed25519:1")
        for bad in [
            "Bearer abc", "X-Matrix", #"X-Matrix origin="o",key="ed25519:1""#,
            #"X-Matrix origin="o,key=ed25519:1,sig=s"#,
            #"X-Matrix key="ed25519:1",sig="s""#, "X-Matrixorigin=o,key=k,sig=s",
        ] {
            #expect(XMatrixAuthorization(header: bad) == nil, "\(bad)")
        }
    }

    /// Found by the x-matrix fuzz target's seeds (`Tests/FuzzCorpora/x-matrix/rfc9110-spacing`):
    /// the writer put `"` and `\` into quoted strings unescaped, so its header did not parse.
    @Test func writtenHeadersEscapeQuotedStrings() throws {
        let authorization = XMatrixAuthorization(
            origin: "o.example", destination: "d.example", keyID: #"ed25519:a"b"#, signature: #"c\d"#)
        #expect(
            authorization.headerValue
                == #"X-Matrix origin="o.example",destination="d.example",key="ed25519:a\"b",sig="c\\d""#)
        #expect(XMatrixAuthorization(header: authorization.headerValue) == authorization)
    }

    @Test func serverKeyDocumentIsSelfSignedAndChecked() throws {
        let key = SigningKey.generate()
        let identity = ServerIdentity(serverName: try #require(ServerName("keys.example")), signingKey: key)
        let document = ServerKeyDocument.make(
            identity: identity, oldKeys: [OldVerifyKey(keyID: "ed25519:old", publicKey: "T0xE", expiredTS: 50)],
            validUntilTS: 2_000)
        let records = try #require(ServerKeyDocument.verify(document, serverName: "keys.example", now: 1_000))
        #expect(records.count == 2)
        #expect(
            records.contains { $0.keyID == key.keyID && $0.publicKey == key.publicKeyBase64 && $0.expiredTS == nil })
        #expect(records.contains { $0.keyID == "ed25519:old" && $0.expiredTS == 50 })
        #expect(ServerKeyDocument.verify(document, serverName: "other.example", now: 1_000) == nil, "name must match")
        #expect(ServerKeyDocument.verify(document, serverName: "keys.example", now: 3_000) == nil, "expired document")
        var tampered = document
        tampered["valid_until_ts"] = .int(9_999)
        #expect(
            ServerKeyDocument.verify(tampered, serverName: "keys.example", now: 1_000) == nil, "signature covers it")
    }
}
