import MatrixModel
import Testing

@Suite("Unpadded base64")
struct Base64UnpaddedTests {
    @Test("the fixture holds the seven RFC 4648 vectors")
    func vectorCount() throws {
        #expect(try Fixtures.specVectors(category: "unpadded_base64").count == 7)
    }

    @Test("encode gives the spec's unpadded form", arguments: try Fixtures.specVectors(category: "unpadded_base64"))
    func encode(vector: FixtureEntry) throws {
        let input = try vector.string("input_utf8")
        #expect(Base64Unpadded.encode(Array(input.utf8)) == (try vector.string("expected")))
    }

    @Test(
        "decode accepts the unpadded and padded forms", arguments: try Fixtures.specVectors(category: "unpadded_base64")
    )
    func decode(vector: FixtureEntry) throws {
        let input = Array(try vector.string("input_utf8").utf8)
        #expect(Base64Unpadded.decode(try vector.string("expected")) == input)
        #expect(Base64Unpadded.decode(try vector.string("padded_form_should_also_decode")) == input)
    }

    @Test("decode accepts the URL-safe alphabet")
    func urlSafe() {
        #expect(Base64Unpadded.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64Unpadded.decode("+/8") == [0xFB, 0xFF])
    }

    @Test("decode rejects malformed input", arguments: ["Z", "Zm9vY", "Zg=", "Zg===", "Zm9v!", "Zm=9", "Zm 9", "é"])
    func rejects(text: String) {
        #expect(Base64Unpadded.decode(text) == nil)
    }

    @Test("round trip over every byte value and length")
    func roundTrip() {
        let bytes = (0...255).map { UInt8($0) }
        for length in 0...bytes.count {
            let slice = Array(bytes[0..<length])
            let encoded = Base64Unpadded.encode(slice)
            #expect(!encoded.contains("="))
            #expect(Base64Unpadded.decode(encoded) == slice)
        }
    }
}
