import MatrixModel
import Testing

@Suite("JSON parser rules")
struct JSONParserRulesTests {
    let strict = JSONParser(options: .strict)

    @Test("duplicate keys are rejected, at any depth")
    func duplicateKeys() {
        #expect(throws: JSONParseError.duplicateKey("a")) { try strict.parse(#"{"a":1,"a":1}"#) }
        #expect(throws: JSONParseError.duplicateKey("k")) { try strict.parse(#"{"x":[{"k":1,"j":2,"k":3}]}"#) }
        #expect(throws: Never.self) { try strict.parse(#"{"a":{"a":1},"b":{"a":1}}"#) }
    }

    @Test("nesting deeper than maxDepth is rejected")
    func depthLimit() throws {
        let parser = JSONParser(options: .init(maxDepth: 3))
        #expect(try parser.parse("[[[]]]") == .array([.array([.array([])])]))
        #expect(throws: JSONParseError.tooDeep) { try parser.parse("[[[[]]]]") }
        #expect(throws: JSONParseError.tooDeep) { try parser.parse(#"{"a":{"b":{"c":{}}}}"#) }
        #expect(throws: JSONParseError.tooDeep) { try parser.parse(#"[{"a":[{}]}]"#) }
        // The default limit stops pathological nesting without crashing.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.tooDeep) { try strict.parse(deep) }
    }

    @Test("input larger than maxBytes is rejected before parsing")
    func sizeLimit() throws {
        let parser = JSONParser(options: .init(maxBytes: 10))
        #expect(try parser.parse(#"{"a":"12"}"#) == ["a": "12"])  // exactly 10 bytes
        #expect(throws: JSONParseError.tooLarge) { try parser.parse(#"{"a":"123"}"#) }
    }

    @Test("integers at ±(2^53−1) are accepted; beyond is out of range")
    func integerBounds() throws {
        #expect(try strict.parse("9007199254740991") == .int(9_007_199_254_740_991))
        #expect(try strict.parse("-9007199254740991") == .int(-9_007_199_254_740_991))
        #expect(throws: JSONParseError.numberOutOfRange) { try strict.parse("9007199254740992") }
        #expect(throws: JSONParseError.numberOutOfRange) { try strict.parse("-9007199254740992") }
        #expect(throws: JSONParseError.numberOutOfRange) { try strict.parse("99999999999999999999999") }
        #expect(try strict.parse("-0") == .int(0))
    }

    @Test("floats: rejected by strict, normalised or kept by lenient")
    func floats() throws {
        #expect(throws: JSONParseError.floatNotAllowed) { try strict.parse("1.5") }
        #expect(throws: JSONParseError.floatNotAllowed) { try strict.parse("1e2") }
        let lenient = JSONParser(options: .lenient)
        #expect(try lenient.parse("1e10") == .int(10_000_000_000))
        #expect(try lenient.parse("2.0") == .int(2))
        #expect(try lenient.parse("-0.0") == .int(0))
        #expect(try lenient.parse("1.5") == .double(1.5))
        #expect(try lenient.parse("1E+2") == .int(100))
        #expect(try lenient.parse("1e-1") == .double(0.1))
        #expect(throws: JSONParseError.numberOutOfRange) { try lenient.parse("1e400") }
    }

    @Test(
        "malformed numbers are rejected",
        arguments: ["01", "-01", "00", "-", "1.", ".5", "1e", "1e+", "+1", "0x10", "NaN", "Infinity", "-Infinity"])
    func malformedNumbers(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser(options: .lenient).parse(text) }
    }

    @Test(
        "trailing garbage is rejected; surrounding white space is not",
        arguments: [#"{} x"#, "{}{}", "1 2", "[1],", "nulll", "truex", "\"a\"\""])
    func trailingGarbage(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser(options: .strict).parse(text) }
    }

    @Test("white space around values is allowed")
    func whiteSpace() throws {
        #expect(try strict.parse(" \t\r\n[ 1 ,\n2 ] \n") == [1, 2])
        #expect(throws: JSONParseError.self) { try strict.parse("") }
        #expect(throws: JSONParseError.self) { try strict.parse("   ") }
    }

    @Test(
        "structural errors are rejected",
        arguments: ["{", "[", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "{'a':1}", "[1 2]", "tru", "\"abc"])
    func structural(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser(options: .strict).parse(text) }
    }

    @Test("unescaped control characters in strings are rejected")
    func controlCharacters() throws {
        for byte in [UInt8(0x00), 0x01, 0x09, 0x0A, 0x1F] {
            let bytes: [UInt8] = [0x22, 0x61, byte, 0x62, 0x22]
            #expect(throws: JSONParseError.self, "byte \(byte)") { try strict.parse(bytes) }
            let escaped: [UInt8] = [0x22, 0x5C, 0x6E, byte, 0x22]  // after an escape too
            #expect(throws: JSONParseError.self, "byte \(byte) after escape") { try strict.parse(escaped) }
        }
        #expect(try strict.parse([0x22, 0x7F, 0x22]) == .string("\u{7F}"))
    }

    @Test(
        "invalid UTF-8 inside strings is rejected",
        arguments: [[0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0x80]] as [[UInt8]])
    func invalidUTF8(sequence: [UInt8]) {
        let plain = [0x22] + sequence + [0x22]
        #expect(throws: JSONParseError.invalidString("invalid UTF-8")) { try JSONParser(options: .strict).parse(plain) }
        let withEscape = [0x22, 0x5C, 0x6E] + sequence + [0x22]
        #expect(throws: JSONParseError.invalidString("invalid UTF-8")) {
            try JSONParser(options: .strict).parse(withEscape)
        }
    }

    @Test("invalid UTF-8 outside strings is rejected")
    func invalidUTF8Outside() {
        #expect(throws: JSONParseError.self) { try strict.parse([0x5B, 0xFF, 0x5D]) }
    }

    @Test("escapes decode; invalid escapes and lone surrogates are rejected")
    func escapes() throws {
        #expect(try strict.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try strict.parse(#""\u00e9\uD83D\uDE00""#) == .string("é😀"))
        for bad in [
            #""\x""#, #""\u12""#, #""\u12G4""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#, #""\"#,
        ] {
            #expect(throws: JSONParseError.self, "\(bad)") { try strict.parse(bad) }
        }
    }

    @Test("literals and scalars parse to their values")
    func literals() throws {
        #expect(try strict.parse("true") == .bool(true))
        #expect(try strict.parse("false") == .bool(false))
        #expect(try strict.parse("null") == .null)
        #expect(try strict.parse(#"{"a":[true,null,"x",-12]}"#) == ["a": [true, nil, "x", -12]])
    }
}

/// Object members are distinct by their bytes, not by Unicode canonical equivalence.
@Test func canonicallyEquivalentKeysStayDistinct() throws {
    let value = try JSONParser(options: .strict).parse(#"{"\u00e9":1,"e\u0301":2}"#)
    let object = try #require(value.objectValue)
    #expect(object.count == 2)
    #expect(object["\u{e9}"] == 1)
    #expect(object["e\u{301}"] == 2)
    #expect(throws: JSONParseError.self) { try JSONParser(options: .strict).parse(#"{"\u00e9":1,"\u00e9":2}"#) }
}
