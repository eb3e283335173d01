import MatrixModel
import Testing

@Suite("Canonical JSON vectors")
struct CanonicalJSONVectorTests {
    @Test("the fixtures hold the expected number of cases")
    func counts() throws {
        #expect(try Fixtures.specVectors(category: "canonical_json").count == 10)
        #expect(try Fixtures.canonicalCases(specValid: true).count == 27)
        #expect(try Fixtures.canonicalCases(specValid: false).count == 8)
    }

    @Test("spec examples canonicalise exactly", arguments: try Fixtures.specVectors(category: "canonical_json"))
    func specExample(vector: FixtureEntry) throws {
        let value = try JSONParser(options: .lenient).parse(try vector.string("input_json"))
        #expect(try JSONWriter.canonicalBytes(value) == Array(try vector.string("expected").utf8))
    }

    @Test(
        "spec-valid cases parse strictly and canonicalise to the expected bytes",
        arguments: try Fixtures.canonicalCases(specValid: true))
    func validCase(entry: FixtureEntry) throws {
        let expected = try Fixtures.bytes(hex: try entry.string("expected_utf8_hex"))
        #expect(expected == Array(try entry.string("expected").utf8), "fixture's hex and text agree")
        let input = try entry.string("input_json")
        let value = try JSONParser(options: .strict).parse(input)
        #expect(try JSONWriter.canonicalBytes(value) == expected)
    }

    @Test(
        "spec-invalid cases are rejected by the strict parser", arguments: try Fixtures.canonicalCases(specValid: false)
    )
    func invalidCase(entry: FixtureEntry) throws {
        let input = try entry.string("input_json")
        #expect(throws: JSONParseError.self) { try JSONParser(options: .strict).parse(input) }
    }

    @Test("canonical output of the same object does not depend on input key order or spacing")
    func orderIndependence() throws {
        let parser = JSONParser(options: .strict)
        let first = try parser.parse(#"{"b":[1,{"y":2,"x":1}],"a":"s"}"#)
        let second = try parser.parse(" {\n \"a\" : \"s\" ,\t\"b\" : [ 1 , { \"x\" : 1 , \"y\" : 2 } ] } ")
        #expect(try first.canonicalBytes() == second.canonicalBytes())
        #expect(String(decoding: try first.canonicalBytes(), as: UTF8.self) == #"{"a":"s","b":[1,{"x":1,"y":2}]}"#)
    }

    @Test("values canonical JSON cannot express are refused by the writer")
    func writerRefusals() {
        #expect(throws: JSONWriter.CanonicalError.floatNotAllowed) { try JSONWriter.canonicalBytes(.double(1.5)) }
        #expect(throws: JSONWriter.CanonicalError.integerOutOfRange) {
            try JSONWriter.canonicalBytes(["a": .int(JSONValue.maxSafeInteger + 1)])
        }
        #expect(throws: JSONWriter.CanonicalError.integerOutOfRange) {
            try JSONWriter.canonicalBytes([.int(-JSONValue.maxSafeInteger - 1)])
        }
        #expect((try? JSONWriter.canonicalBytes(.int(-JSONValue.maxSafeInteger))) == Array("-9007199254740991".utf8))
        #expect((try? JSONWriter.canonicalBytes(.double(2.0))) == Array("2".utf8))
    }

    @Test("the non-canonical writer keeps doubles and writes non-finite ones as null")
    func plainWriter() {
        #expect(JSONValue.array([.double(1.5), .double(.infinity)]).encodedString() == "[1.5,null]")
    }
}
